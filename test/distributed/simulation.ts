import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import {
  DistributedStore,
  LocalPlacementTransport,
  openDatabase,
  PlacementFiles,
  Rebalancer,
  ShardCoordinator,
} from '../../engine/index.js';

/**
 * A control plane's data layer over in-process placement files, with a stepped clock: nodes are
 * `sys_nodes` rows plus a PlacementFiles directory each; faults are injected through the transport.
 * `restart()` drops every in-memory structure (locks, clean-shard set), as a SIGKILLed control plane does.
 */
export class Sim {
  readonly dir = mkdtempSync(join(tmpdir(), 'dist-sim-'));
  readonly db: Database;
  now = 1_000_000;
  readonly clock = { now: () => this.now, sleep: async () => {} };
  readonly files = new Map<string, PlacementFiles>();
  readonly transport: LocalPlacementTransport;
  store!: DistributedStore;
  coordinator!: ShardCoordinator;
  rebalancer!: Rebalancer;

  constructor(readonly options: { maxConcurrentMoves?: number } = {}) {
    this.db = openDatabase(join(this.dir, 'catalog.db'), { migrate: true });
    this.transport = new LocalPlacementTransport(this.files, this.dir);
    this.restart();
  }

  restart(): void {
    this.store = new DistributedStore(this.db, this.clock);
    this.coordinator = new ShardCoordinator(this.store, this.transport);
    this.rebalancer = new Rebalancer(this.db, this.store, this.coordinator, this.transport, this.clock, {
      maxConcurrentMoves: this.options.maxConcurrentMoves ?? 4,
      nodeDeadAfterMs: 30_000,
      moveBytesPerSecond: 0,
    });
  }

  addNode(id: string, at: { zone?: string; region?: string } = {}): void {
    this.db
      .prepare(
        `INSERT INTO sys_nodes (id, zone, region, status, idempotency_token, last_heartbeat_at)
         VALUES (?, ?, ?, 'ready', ?, ?)`,
      )
      .run(id, at.zone ?? null, at.region ?? null, `tok-${id}`, this.now);
    this.files.set(id, new PlacementFiles(join(this.dir, 'nodes', id)));
  }

  /** The agent stops answering and the node reconciler has marked the row unreachable. */
  killNode(id: string): void {
    this.transport.down(id);
    this.db.prepare("UPDATE sys_nodes SET status = 'unreachable' WHERE id = ?").run(id);
  }

  /** A user's DELETE (the finalizer turns it into desired_state = 'terminated'). */
  deleteNode(id: string): void {
    this.db.prepare('DELETE FROM sys_nodes WHERE id = ?').run(id);
  }

  /** What autoinfra's finalizer does for terminated rows: terminate once the data layer agrees. */
  finalize(): string[] {
    const gone: string[] = [];
    const rows = this.db
      .prepare("SELECT id, status FROM sys_nodes WHERE desired_state = 'terminated'")
      .all() as {
      id: string;
      status: string;
    }[];
    for (const r of rows) {
      if (!this.rebalancer.mayTerminate(r.id).ok) continue;
      this.files.get(r.id)?.close();
      this.files.delete(r.id);
      this.db.prepare("UPDATE sys_nodes SET status = 'terminated' WHERE id = ?").run(r.id);
      this.db.prepare('DELETE FROM sys_nodes WHERE id = ?').run(r.id);
      gone.push(r.id);
    }
    return gone;
  }

  /** Every agent that answers heartbeats (the heartbeat route writes last_heartbeat_at). */
  heartbeat(): void {
    for (const id of this.files.keys()) {
      if (this.transport.isDownNode(id)) continue;
      this.db
        .prepare("UPDATE sys_nodes SET last_heartbeat_at = ? WHERE id = ? AND status = 'ready'")
        .run(this.now, id);
    }
  }

  /** Runs rebalancer passes until one takes no step (at most `max`). @returns passes run. */
  async settle(max = 200): Promise<number> {
    for (let i = 1; i <= max; i++) {
      if ((await this.rebalancer.pass()) === 0) return i;
    }
    throw new Error(`placements did not settle within ${max} passes`);
  }

  /** Checks every in-sync placement of every shard has the same digest; returns shard → rows. */
  async digests(): Promise<Map<string, { checksum: string; rows: number; copies: number }>> {
    const out = new Map<string, { checksum: string; rows: number; copies: number }>();
    for (const s of this.store.shards()) {
      const k = `${s.colocationGroup}/${s.shard}`;
      for (const p of this.store.inSync(s.colocationGroup, s.shard)) {
        const d = await this.transport.digest(p.nodeId, s.colocationGroup, s.shard);
        const prev = out.get(k);
        if (prev && prev.checksum !== d.checksum) throw new Error(`placements of ${k} differ`);
        out.set(k, { checksum: d.checksum, rows: d.rows, copies: (prev?.copies ?? 0) + 1 });
      }
    }
    return out;
  }

  close(): void {
    for (const f of this.files.values()) f.close();
    this.db.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
