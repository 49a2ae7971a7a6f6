import { type Clock, isInfrabaseError } from '../../engine/index.js';
import type { NodeRow, NodeStore } from '../nodes/index.js';
import type { CloudProvider } from '../provider.js';
import { type Orphan, planOrphans } from './orphans.js';

export interface OrphanCollectorOptions {
  readonly store: NodeStore;
  readonly providers: ReadonlyMap<string, CloudProvider>;
  readonly clusterId: string;
  readonly clock: Clock;
  /** Instances younger than this are left alone, in ms. Default 60000. */
  readonly gracePeriodMs?: number;
  /** Called for each orphan terminated (or found already gone), with the provider's name. */
  readonly onTerminated?: (provider: string, orphan: Orphan) => void;
}

/**
 * Terminates instances tagged as owned by this cluster whose node has no live row (or whose row points at
 * another instance), once older than the grace period. Untagged or foreign instances are never touched:
 * `listOwned` filters them and {@link planOrphans} checks the tags again.
 */
export class OrphanCollector {
  private readonly firstSeen = new Map<string, number>();
  private readonly gracePeriodMs: number;

  constructor(private readonly options: OrphanCollectorOptions) {
    this.gracePeriodMs = options.gracePeriodMs ?? 60_000;
  }

  /**
   * One pass over every provider.
   * @returns the orphans terminated (an orphan already gone counts too).
   * @throws whatever `listOwned` or `delete` throw, except `NOT_FOUND` on delete.
   */
  async collect(signal: AbortSignal): Promise<Orphan[]> {
    const done: Orphan[] = [];
    for (const provider of this.options.providers.values()) {
      const instances = await provider.listOwned(signal);
      const now = this.options.clock.now();
      for (const inst of instances) if (!this.firstSeen.has(inst.id)) this.firstSeen.set(inst.id, now);
      const live = new Set(instances.map((i) => i.id));
      for (const id of this.firstSeen.keys()) if (!live.has(id)) this.firstSeen.delete(id);
      // Rows are read after the listing, so an instance recorded meanwhile is seen with its row.
      const rows = new Map<string, NodeRow>();
      for (const row of this.options.store.all()) if (row.provider === provider.name) rows.set(row.id, row);
      const orphans = planOrphans({
        clusterId: this.options.clusterId,
        instances,
        rows,
        firstSeen: this.firstSeen,
        now,
        gracePeriodMs: this.gracePeriodMs,
      });
      for (const orphan of orphans) {
        try {
          await provider.delete(orphan.instance.id, signal);
        } catch (err) {
          if (!isInfrabaseError(err, 'NOT_FOUND')) throw err;
        }
        done.push(orphan);
        this.options.onTerminated?.(provider.name, orphan);
      }
    }
    return done;
  }
}
