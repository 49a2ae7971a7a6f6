import type { Database } from 'better-sqlite3';
import type { Clock } from '../clock.js';
import { isInfrabaseError } from '../errors.js';
import type { ShardCoordinator } from './coordinator.js';
import { type PlacementPlan, type PlannerNode, planPlacements, shardKey } from './placement-planner.js';
import { planPrimaries } from './primary-balance.js';
import { ByteRateLimiter } from './rate-limiter.js';
import type { DistributedStore, MoveRow } from './store.js';
import type { PlacementTransport } from './transport.js';

/** The `sys_nodes` columns the data layer reads. */
export interface DataNodeRow {
  readonly id: string;
  readonly zone: string | null;
  readonly region: string | null;
  readonly status: string;
  readonly desired_state: string;
  readonly last_heartbeat_at: number | null;
  readonly labels: string;
}

/**
 * A data node's state for the planner (pure): `draining` once its DELETE set `desired_state='terminated'`;
 * `dead` when its status is `unreachable`, `terminated` or `failed`, or its heartbeat is older than
 * `deadAfterMs`; `ready` when `ready`; otherwise (still launching) `null`: not a candidate yet.
 */
export function dataNodeState(
  row: DataNodeRow,
  now: number,
  deadAfterMs: number,
): PlannerNode['state'] | null {
  if (['unreachable', 'terminated', 'failed'].includes(row.status)) return 'dead';
  if (row.status === 'ready' && row.last_heartbeat_at !== null && now - row.last_heartbeat_at > deadAfterMs)
    return 'dead';
  if (row.desired_state === 'terminated') return row.status === 'ready' ? 'draining' : 'dead';
  return row.status === 'ready' ? 'ready' : null;
}

/** The rebalancer's limits; the control plane's defaults are in its config (`distributed.*`). */
export interface RebalancerOptions {
  /** Moves in flight at once (>= 1). */
  readonly maxConcurrentMoves: number;
  /** A ready node with no heartbeat for this long is dead for the data layer, ms. */
  readonly nodeDeadAfterMs: number;
  /** Byte rate shared by all snapshot copies, bytes/s; 0: unlimited. */
  readonly moveBytesPerSecond: number;
}

/** Answer of the termination gate. */
export interface TerminationVerdict {
  readonly ok: boolean;
  readonly reason: string;
}

/**
 * The rebalancer: a level-based reconciler over placements (docs/distributed-tables.md, "Rebalancer",
 * "Node lifecycle"). Each {@link Rebalancer.pass} re-reads the catalog and `sys_nodes` and takes bounded
 * steps: evict placements of dead nodes from the in-sync set, drop placements marked for it, create the first
 * placements of new shards, apply new tables' schema, advance each unfinished move by one state, and plan
 * new moves with the pure planner up to `maxConcurrentMoves`. Every step is a catalog transition, so a crash
 * between passes resumes where the rows say.
 */
export class Rebalancer {
  private readonly maxMoves: number;
  private readonly deadAfterMs: number;
  /** The MB/s limit every snapshot copy of this rebalancer passes through. */
  readonly limiter: ByteRateLimiter;

  constructor(
    private readonly db: Database,
    private readonly store: DistributedStore,
    private readonly coordinator: ShardCoordinator,
    private readonly transport: PlacementTransport,
    private readonly clock: Clock,
    options: RebalancerOptions,
  ) {
    if (!Number.isSafeInteger(options.maxConcurrentMoves) || options.maxConcurrentMoves < 1) {
      throw new RangeError(`maxConcurrentMoves must be an integer >= 1; got ${options.maxConcurrentMoves}`);
    }
    this.maxMoves = options.maxConcurrentMoves;
    this.deadAfterMs = options.nodeDeadAfterMs;
    this.limiter = new ByteRateLimiter(options.moveBytesPerSecond, clock);
  }

  /** Data nodes with their planner state (launching nodes left out). */
  nodes(): (PlannerNode & { labels: Record<string, unknown> })[] {
    const rows = this.db
      .prepare(
        "SELECT id, zone, region, status, desired_state, last_heartbeat_at, labels FROM sys_nodes WHERE role = 'data' ORDER BY id",
      )
      .all() as DataNodeRow[];
    const now = this.clock.now();
    return rows.flatMap((r) => {
      const state = dataNodeState(r, now, this.deadAfterMs);
      return state ? [{ id: r.id, zone: r.zone, region: r.region, state, labels: JSON.parse(r.labels) }] : [];
    });
  }

  /** One reconcile pass. @returns how many steps it took (0 when placements are as desired). */
  async pass(): Promise<number> {
    let steps = 0;
    const nodes = this.nodes();
    const state = new Map(nodes.map((n) => [n.id, n.state]));
    // 1. Failure: placements on dead or vanished nodes leave the in-sync set — but never the last in-sync
    // copy of a shard (as Kafka keeps its last in-sync replica): the shard is then unavailable until that
    // node returns, rather than emptied by a control plane that merely lost sight of its nodes.
    const live = (n: string) => state.get(n) === 'ready' || state.get(n) === 'draining';
    for (const p of this.store.placements()) {
      const s = state.get(p.nodeId);
      if (p.state !== 'in_sync' || live(p.nodeId)) continue;
      await this.coordinator.withShardLock(p.colocationGroup, p.shard, async () => {
        const others = this.store.inSync(p.colocationGroup, p.shard).filter((x) => x.nodeId !== p.nodeId);
        if (!others.some((x) => live(x.nodeId))) return;
        this.store.removeFromInSync(
          p.colocationGroup,
          p.shard,
          [p.nodeId],
          `node ${p.nodeId} is ${s ?? 'gone'}`,
        );
        steps++;
      });
    }
    // 2. Unfinished moves whose target is no longer usable fail; the rest advance one state.
    const active = this.store.activeMoves();
    for (const m of active) {
      if (state.get(m.targetNode) !== 'ready') {
        this.store.failMove(m.id, `target ${m.targetNode} is ${state.get(m.targetNode) ?? 'gone'}`);
        steps++;
        continue;
      }
      steps += await this.advance(m, live);
    }
    // 2b. Dropped tables (docs: "Dropping a table"): the group's placements become `dropping` (deleted from
    // the agents by step 3 below), then the rows go; a table that shares its group with active tables is
    // dropped from every shard by a `drop_table` batch instead.
    steps += await this.dropTables();
    // 3. Out-of-sync placements are dropped; dropping placements are deleted from their agents.
    for (const p of this.store.placements()) {
      if (p.state === 'out_of_sync') {
        this.store.markDropping(p.colocationGroup, p.shard, p.nodeId, p.stateReason ?? 'out of sync');
      }
      if (p.state === 'out_of_sync' || p.state === 'dropping') {
        const alive = state.get(p.nodeId) === 'ready' || state.get(p.nodeId) === 'draining';
        try {
          if (alive) await this.transport.drop(p.nodeId, p.colocationGroup, p.shard);
          this.store.dropPlacement(p.colocationGroup, p.shard, p.nodeId);
          steps++;
        } catch {
          /* the agent is unreachable now; retried next pass */
        }
      }
    }
    // 3b. Orphans: placement files on a reachable node that the catalog does not list there (a crash
    // between creating a file and recording it, or a node that came back after its copies were dropped).
    const listed = new Set(
      this.store.placements().map((p) => `${p.nodeId}|${shardKey(p.colocationGroup, p.shard)}`),
    );
    for (const n of nodes) {
      if (n.state !== 'ready' && n.state !== 'draining') continue;
      const held = await this.transport.list(n.id).catch(() => []);
      for (const h of held) {
        if (listed.has(`${n.id}|${shardKey(h.colocationGroup, h.shard)}`)) continue;
        await this.transport.drop(n.id, h.colocationGroup, h.shard).catch(() => undefined);
        steps++;
      }
    }
    // 4. Plan.
    const { plan, shards, rf } = this.plan(nodes);
    // 4a. New shards (never written, no placement) get their first placements at once, empty and in sync.
    for (const s of shards) {
      const k = shardKey(s.colocationGroup, s.shard);
      const want = plan.desired.get(k) ?? [];
      if (s.lsn === 0 && want.length > 0 && this.store.placements(s.colocationGroup, s.shard).length === 0) {
        try {
          await Promise.all(
            want.map((n) => this.transport.create(n, s.colocationGroup, s.shard, s.epoch + 1)),
          );
          this.store.createInitialPlacements(s.colocationGroup, s.shard, want);
          steps++;
        } catch (err) {
          if (!isInfrabaseError(err)) throw err;
        }
      }
    }
    // 4b. Tables whose schema is not on every shard yet: a create_table batch per shard.
    for (const name of this.store.tablesWithoutSchema()) {
      const t = this.store.tables().get(name.toLowerCase())!;
      const group = this.store.shards(t.colocationGroup);
      const ready = group.every((s) => this.store.inSync(s.colocationGroup, s.shard).length > 0);
      if (!ready) continue;
      try {
        for (const s of group) {
          await this.coordinator.writeBatch(
            s.colocationGroup,
            s.shard,
            async () => [{ op: 'create_table', table: t.name, columns: t.columns.slice(1) }],
            [t.name],
          );
        }
        this.store.markSchemaApplied(t.name);
        steps++;
      } catch (err) {
        if (!isInfrabaseError(err)) throw err;
      }
    }
    // 4c. Moves, up to the concurrency limit, one per shard.
    steps += this.startMoves(plan, live);
    const busy = new Set(this.store.activeMoves().map((m) => shardKey(m.colocationGroup, m.shard)));
    // 4d. Excess copies (replication factor lowered, or a copy beyond it) leave the in-sync set — only while
    // the shard keeps `replication_factor` in-sync copies on live nodes without it, so never the last one.
    for (const e of plan.excess) {
      const want = rf.get(e.colocationGroup) ?? 1;
      const p = this.store.placements(e.colocationGroup, e.shard).find((x) => x.nodeId === e.nodeId);
      if (!p || busy.has(shardKey(e.colocationGroup, e.shard))) continue;
      if (p.state !== 'in_sync') {
        this.store.markDropping(e.colocationGroup, e.shard, e.nodeId, 'not needed');
        steps++;
        continue;
      }
      await this.coordinator.withShardLock(e.colocationGroup, e.shard, async () => {
        const others = this.store
          .inSync(e.colocationGroup, e.shard)
          .filter((x) => x.nodeId !== e.nodeId && live(x.nodeId));
        if (others.length < want) return;
        this.store.removeFromInSync(
          e.colocationGroup,
          e.shard,
          [e.nodeId],
          `excess copy: ${others.length} other in-sync copies for replication factor ${want}`,
        );
        steps++;
      });
    }
    steps += await this.balancePrimaries(nodes);
    return steps;
  }

  /**
   * Primaries spread evenly over the ready nodes ({@link planPrimaries}): each handoff is a catalog
   * transition under the shard's write lock, so no write is in flight while the role changes.
   */
  private async balancePrimaries(nodes: readonly PlannerNode[]): Promise<number> {
    const eligible = nodes.filter((n) => n.state === 'ready').map((n) => n.id);
    const busy = new Set(this.store.activeMoves().map((m) => shardKey(m.colocationGroup, m.shard)));
    const byShard = new Map<
      string,
      { group: string; shard: number; primary: string | null; inSync: string[] }
    >();
    for (const p of this.store.placements()) {
      const k = shardKey(p.colocationGroup, p.shard);
      const s = byShard.get(k) ?? { group: p.colocationGroup, shard: p.shard, primary: null, inSync: [] };
      if (p.role === 'primary') s.primary = p.nodeId;
      if (p.state === 'in_sync') s.inSync.push(p.nodeId);
      byShard.set(k, s);
    }
    const changes = planPrimaries(
      [...byShard].map(([key, s]) => ({ key, primary: s.primary, inSync: s.inSync })),
      eligible,
    );
    let steps = 0;
    for (const [k, node] of changes) {
      const s = byShard.get(k)!;
      if (busy.has(k)) continue;
      await this.coordinator.withShardLock(s.group, s.shard, async () => {
        try {
          this.store.handOffPrimary(s.group, s.shard, node);
          steps++;
        } catch (err) {
          if (!isInfrabaseError(err, 'CONFLICT')) throw err; // the placements changed since: next pass
        }
      });
    }
    return steps;
  }

  /** One step of each DROP in progress (crash-safe: `status = 'dropping'`, then the files, then the rows). */
  private async dropTables(): Promise<number> {
    let steps = 0;
    const tables = [...this.store.tables().values()];
    for (const t of tables.filter((x) => x.status === 'dropping')) {
      const group = tables.filter((x) => x.colocationGroup === t.colocationGroup);
      try {
        if (group.every((x) => x.status === 'dropping')) {
          if (this.store.placements(t.colocationGroup).some((p) => p.state !== 'dropping')) {
            this.store.dropGroup(t.colocationGroup);
            steps++;
          } else if (this.store.placements(t.colocationGroup).length === 0) {
            this.store.removeTable(t.name);
            steps++;
          }
          continue;
        }
        for (const s of this.store.shards(t.colocationGroup)) {
          await this.coordinator.writeBatch(
            s.colocationGroup,
            s.shard,
            async () => [{ op: 'drop_table', table: t.name }],
            [t.name],
          );
        }
        this.store.removeTable(t.name);
        steps++;
      } catch (err) {
        if (!isInfrabaseError(err)) throw err; // an unreachable shard: retried next pass
      }
    }
    return steps;
  }

  /**
   * Asks the pure planner for the desired placements from the catalog as it is now (placements being dropped
   * or out of sync do not count). Synchronous: callable inside a catalog transaction.
   */
  private plan(nodes: readonly PlannerNode[]) {
    const tables = [...this.store.tables().values()].filter((t) => t.status === 'active');
    const rf = new Map<string, number>();
    const reference = new Set<string>();
    for (const t of tables) {
      rf.set(t.colocationGroup, Math.max(rf.get(t.colocationGroup) ?? 0, t.replicationFactor));
      if (t.kind === 'reference') reference.add(t.colocationGroup);
    }
    const shards = this.store.shards().filter((s) => rf.has(s.colocationGroup));
    const placements = this.store.placements();
    const bytes = new Map<string, number>();
    for (const p of placements)
      bytes.set(
        shardKey(p.colocationGroup, p.shard),
        Math.max(bytes.get(shardKey(p.colocationGroup, p.shard)) ?? 0, p.bytes ?? 0),
      );
    const plan = planPlacements(
      nodes,
      shards.map((s) => ({
        colocationGroup: s.colocationGroup,
        shard: s.shard,
        region: s.region,
        replicationFactor: rf.get(s.colocationGroup)!,
        reference: reference.has(s.colocationGroup),
        bytes: bytes.get(shardKey(s.colocationGroup, s.shard)),
      })),
      placements
        .filter((p) => p.state !== 'dropping' && p.state !== 'out_of_sync')
        .map((p) => ({
          colocationGroup: p.colocationGroup,
          shard: p.shard,
          nodeId: p.nodeId,
          inSync: p.state === 'in_sync',
        })),
    );
    return { plan, shards, rf };
  }

  /**
   * Plans new moves from `plan`, up to the concurrency limit and one per shard, each from a shard that has
   * an in-sync copy on a live node. Synchronous, so it can commit in the same transaction as the move that
   * finished (see {@link Rebalancer.advance}). @returns moves planned.
   */
  private startMoves(plan: PlacementPlan, live: (node: string) => boolean): number {
    let planned = 0;
    let inFlight = this.store.activeMoves().length;
    const busy = new Set(this.store.activeMoves().map((m) => shardKey(m.colocationGroup, m.shard)));
    const fresh = this.store.placements();
    for (const m of plan.moves) {
      if (inFlight >= this.maxMoves) break;
      const k = shardKey(m.colocationGroup, m.shard);
      if (busy.has(k)) continue;
      if (
        !fresh.some(
          (p) => shardKey(p.colocationGroup, p.shard) === k && p.state === 'in_sync' && live(p.nodeId),
        )
      ) {
        continue; // nothing to copy from until a node holding it returns
      }
      try {
        this.store.planMove(m.colocationGroup, m.shard, m.kind, m.target, m.source);
        busy.add(k);
        inFlight++;
        planned++;
      } catch (err) {
        if (!isInfrabaseError(err, 'CONFLICT')) throw err;
      }
    }
    return planned;
  }

  /**
   * Advances one move by one state (docs: "Moves"): planned → copying (source chosen), copying → catching_up
   * (backup-API snapshot installed on the target), catching_up → done (under the shard's lock: recovery, last
   * catch-up to the shard's lsn, switch in one catalog transaction; the moved-away copy is dropped). A
   * failure fails the move with its reason.
   */
  async advance(m: MoveRow, live: (node: string) => boolean): Promise<number> {
    const { colocationGroup: group, shard } = m;
    try {
      const inSync = this.store.inSync(group, shard).filter((p) => live(p.nodeId));
      const source = inSync.find((p) => p.nodeId === m.sourceNode)?.nodeId ?? inSync[0]?.nodeId;
      if (!source) {
        this.store.failMove(m.id, 'no in-sync placement to copy from');
        return 1;
      }
      if (m.state === 'planned') {
        this.store.startCopy(m.id, source);
        return 1;
      }
      if (m.state === 'copying') {
        const began = this.clock.now();
        const { lsn, bytes } = await this.transport.copy(source, m.targetNode, group, shard, this.limiter);
        this.store.startCatchUp(m.id, lsn, bytes, this.clock.now() - began);
        return 1;
      }
      if (m.state === 'catching_up') {
        await this.catchUp(source, m.targetNode, group, shard);
        await this.coordinator.withShardLock(group, shard, async () => {
          await this.coordinator.recoverLocked(group, shard);
          const src = this.store.inSync(group, shard).find((p) => live(p.nodeId))?.nodeId;
          if (!src) throw new Error('no in-sync placement left');
          const lsn = await this.catchUp(src, m.targetNode, group, shard);
          // The next moves are planned in the transaction that finishes this one: no observer of the
          // catalog ever sees "no move in flight" while the planner still wants one.
          this.db
            .transaction(() => {
              this.store.completeMove(m.id, lsn);
              const nodes = this.nodes();
              const ok = new Set(
                nodes.filter((n) => n.state === 'ready' || n.state === 'draining').map((n) => n.id),
              );
              this.startMoves(this.plan(nodes).plan, (n) => ok.has(n));
            })
            .immediate();
        });
        const done = this.store.placements(group, shard).find((p) => p.nodeId === m.sourceNode);
        if (m.kind === 'move' && m.sourceNode && done?.state === 'dropping') {
          try {
            await this.transport.drop(m.sourceNode, group, shard);
            this.store.dropPlacement(group, shard, m.sourceNode);
          } catch {
            /* dropped by a later pass */
          }
        }
        const d = await this.transport.digest(m.targetNode, group, shard).catch(() => undefined);
        if (d) this.store.recordStats(group, shard, m.targetNode, d);
        return 1;
      }
      return 0;
    } catch (err) {
      this.store.failMove(m.id, (err as Error).message);
      await this.transport.drop(m.targetNode, group, shard).catch(() => undefined);
      return 1;
    }
  }

  /** Applies `source`'s logged batches to `target` until it has everything `source` has. @returns its lsn. */
  private async catchUp(source: string, target: string, group: string, shard: number): Promise<number> {
    for (;;) {
      const at = (await this.transport.position(target, group, shard)).lsn;
      const batches = await this.transport.logSince(source, group, shard, at);
      if (batches.length === 0) return at;
      for (const b of batches) await this.transport.apply(target, group, shard, b);
    }
  }

  /**
   * The data layer's answer to autoinfra's "may this node be terminated?" (the DELETE finalizer): yes when it
   * holds no in-sync placement, or when `sys_nodes.labels` has `"force_delete": true`; otherwise no, with
   * `moving X of Y shards`, or why the remaining nodes cannot take them.
   */
  mayTerminate(nodeId: string): TerminationVerdict {
    const node = this.nodes().find((n) => n.id === nodeId);
    if (node?.labels?.force_delete === true) return { ok: true, reason: 'force_delete label set' };
    const held = this.store.placements().filter((p) => p.nodeId === nodeId && p.state === 'in_sync');
    if (held.length === 0) return { ok: true, reason: 'holds no in-sync placement' };
    const moved = (
      this.db
        .prepare(
          "SELECT count(*) AS n FROM sys_shard_moves WHERE source_node = ? AND state = 'done' AND kind = 'move'",
        )
        .get(nodeId) as { n: number }
    ).n;
    const others = this.nodes().filter((n) => n.state === 'ready' && n.id !== nodeId);
    const short = held.find((p) => {
      const t = [...this.store.tables().values()].find((x) => x.colocationGroup === p.colocationGroup);
      const region = this.store.shard(p.colocationGroup, p.shard).region;
      const eligible = others.filter((n) => region === null || n.region === region).length;
      return t !== undefined && t.kind === 'distributed' && eligible < t.replicationFactor;
    });
    if (short) {
      const region = this.store.shard(short.colocationGroup, short.shard).region;
      return {
        ok: false,
        reason: `waiting: the other ready data nodes${region ? ` in region ${region}` : ''} cannot hold the replication factor of ${short.colocationGroup}; add a data node, or set labels '{"force_delete": true}' to delete anyway`,
      };
    }
    return { ok: false, reason: `draining: moving ${held.length} of ${held.length + moved} shards` };
  }
}
