import type { Database } from 'better-sqlite3';
import type { Clock } from '../clock.js';
import { ShardCoordinator } from './coordinator.js';
import { Rebalancer, type RebalancerOptions, type TerminationVerdict } from './rebalancer.js';
import { DistributedStore } from './store.js';
import type { PlacementTransport } from './transport.js';

/** The data layer's settings: the rebalancer's, and how often it runs. */
export interface DataLayerSettings extends RebalancerOptions {
  /** Time between rebalancer passes when the last one took no step, ms (after a step the next pass runs at once). */
  readonly intervalMs: number;
}

/**
 * The data layer of distributed tables (docs/distributed-tables.md) over one catalog and one way to reach the
 * placements: the catalog store, the write coordinator / shard reader over it, and the rebalancer run as a
 * loop of passes. Other modules reach it through this object: the node lifecycle asks
 * {@link DistributedDataLayer.mayTerminate} before terminating a data node.
 */
export class DistributedDataLayer {
  readonly store: DistributedStore;
  readonly coordinator: ShardCoordinator;
  readonly rebalancer: Rebalancer;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = true;

  /**
   * @param onPassError told of a pass that threw (the loop goes on: the next pass re-reads the catalog).
   */
  constructor(
    db: Database,
    clock: Clock,
    readonly transport: PlacementTransport,
    private readonly settings: DataLayerSettings,
    private readonly onPassError: (err: unknown) => void,
  ) {
    this.store = new DistributedStore(db, clock);
    this.coordinator = new ShardCoordinator(this.store, transport);
    this.rebalancer = new Rebalancer(db, this.store, this.coordinator, transport, clock, settings);
  }

  /** Starts the rebalancer loop: a pass now, then one after each `intervalMs` without a step. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const loop = async () => {
      let steps = 0;
      try {
        steps = await this.rebalancer.pass();
      } catch (err) {
        this.onPassError(err);
      }
      if (!this.stopped) this.timer = setTimeout(tick, steps > 0 ? 0 : this.settings.intervalMs);
    };
    const tick = () => {
      this.running = loop();
    };
    tick();
  }

  /** Stops the loop; resolves once a pass under way has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** The termination gate: no while the node holds in-sync placements (see {@link Rebalancer.mayTerminate}). */
  mayTerminate(nodeId: string): TerminationVerdict {
    return this.rebalancer.mayTerminate(nodeId);
  }
}
