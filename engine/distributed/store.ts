import type { Database } from 'better-sqlite3';
import type { MoveKind, MoveState, PlacementRole, PlacementState } from '../catalog/distributed.js';
import type { Clock } from '../clock.js';
import { InfrabaseError } from '../errors.js';
import { DistributedCatalogReader, type MoveRow } from './catalog-rows.js';

/** What `createTable` records (engine/catalog/distributed.ts checks it). */
export interface TableDefinition {
  readonly name: string;
  /** Columns as `{name, type}`, type one of INTEGER, REAL, TEXT, BLOB, NUMERIC; `_row` is added. */
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  /** Column hashed to pick the shard; omitted: the generated `_row`. */
  readonly shardKey?: string;
  /** Shards, 1-4096 (default 32). */
  readonly shardCount?: number;
  /** Copies of each shard, 1-16 (default 2 with two or more running data nodes, else 1). */
  readonly replicationFactor?: number;
}

export {
  DistributedCatalogReader,
  type MoveRow,
  type PlacementRow,
  type ShardRow,
  shardStatus,
  type TableRow,
} from './catalog-rows.js';

const SHARD_KEY = (g: string, s: number) => `${g}/${s}`;

/**
 * The one writer of `sys_distributed_tables`, `sys_shards`, `sys_placements` and `sys_shard_moves` (users may
 * also create and drop tables in SQL, checked by the catalog's triggers), through the named transitions of
 * docs/distributed-tables.md; reads come from {@link DistributedCatalogReader}. Every transition is one short
 * synchronous IMMEDIATE transaction that re-reads the rows it checks, so a transition that no longer applies
 * (a move already failed, a placement already gone) throws `CONFLICT` and changes nothing.
 */
export class DistributedStore extends DistributedCatalogReader {
  constructor(
    db: Database,
    private readonly clock: Clock,
  ) {
    super(db);
  }

  /**
   * Reserves `count` consecutive `_row` ids of a table (its `next_row` counter): ids are assigned here, once,
   * never by a replica. @returns the first id. @throws NOT_FOUND for an unknown or dropping table.
   */
  allocateRowIds(table: string, count: number): number {
    if (!Number.isInteger(count) || count < 0) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `row id count must be a non-negative integer; got ${count}`,
      );
    }
    return this.db
      .transaction(() => {
        const row = this.db
          .prepare("SELECT next_row FROM sys_distributed_tables WHERE name = ? AND status = 'active'")
          .get(table) as { next_row: number } | undefined;
        if (!row) throw new InfrabaseError('NOT_FOUND', `distributed table '${table}' does not exist`);
        this.db
          .prepare('UPDATE sys_distributed_tables SET next_row = next_row + ?, updated_at = ? WHERE name = ?')
          .run(count, this.clock.now(), table);
        return row.next_row;
      })
      .immediate();
  }

  /**
   * `createInitialPlacements`: a shard that never had a write (lsn 0) and has no placement gets empty in-sync
   * placements on `nodes` (the first is primary) under a new epoch. No copy is needed: empty is in sync.
   * @returns the new epoch. @throws CONFLICT when the shard has a placement or a write already.
   */
  createInitialPlacements(group: string, shard: number, nodes: readonly string[]): number {
    if (nodes.length === 0 || new Set(nodes).size !== nodes.length) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `initial placements need distinct nodes; got ${nodes.join(', ')}`,
      );
    }
    return this.tx(() => {
      const s = this.shard(group, shard);
      if (s.lsn !== 0 || this.placements(group, shard).length > 0) {
        throw new InfrabaseError(
          'CONFLICT',
          `shard ${SHARD_KEY(group, shard)} already has placements or writes`,
        );
      }
      const epoch = s.epoch + 1;
      const ins = this.db.prepare(
        `INSERT INTO sys_placements (colocation_group, shard, node_id, role, state, epoch, rows, bytes, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'in_sync', ?, 0, 0, ?, ?)`,
      );
      const now = this.clock.now();
      nodes.forEach((n, i) => {
        ins.run(group, shard, n, i === 0 ? 'primary' : 'replica', epoch, now, now);
      });
      this.setEpoch(group, shard, epoch);
      return epoch;
    });
  }

  /**
   * `planMove`: records the intent to copy a shard to `target` (state `planned`) and inserts the target
   * placement as `copying` (not in sync: it receives no writes). For `kind = 'move'` the source is the
   * placement that will be dropped once the target is in sync.
   * @returns the move id. @throws CONFLICT when the shard already has an unfinished move, the target already
   *   holds a placement of the shard, or the source is not in sync.
   */
  planMove(group: string, shard: number, kind: MoveKind, target: string, source?: string): number {
    return this.tx(() => {
      this.shard(group, shard);
      if (
        this.moves("colocation_group = ? AND shard = ? AND state NOT IN ('done', 'failed')", group, shard)
          .length
      ) {
        throw new InfrabaseError(
          'CONFLICT',
          `shard ${SHARD_KEY(group, shard)} already has a move in progress`,
        );
      }
      const placements = this.placements(group, shard);
      if (placements.some((p) => p.nodeId === target)) {
        throw new InfrabaseError('CONFLICT', `node ${target} already holds shard ${SHARD_KEY(group, shard)}`);
      }
      if (source !== undefined && !placements.some((p) => p.nodeId === source && p.state === 'in_sync')) {
        throw new InfrabaseError(
          'CONFLICT',
          `node ${source} holds no in-sync placement of ${SHARD_KEY(group, shard)}`,
        );
      }
      if (kind === 'move' && source === undefined) {
        throw new InfrabaseError('INVALID_ARGUMENT', 'a move needs a source node');
      }
      const now = this.clock.now();
      this.db
        .prepare(
          `INSERT INTO sys_placements (colocation_group, shard, node_id, role, state, state_reason, created_at, updated_at)
           VALUES (?, ?, ?, 'replica', 'copying', 'waiting for its copy', ?, ?)`,
        )
        .run(group, shard, target, now, now);
      return Number(
        this.db
          .prepare(
            `INSERT INTO sys_shard_moves (colocation_group, shard, kind, source_node, target_node, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(group, shard, kind, source ?? null, target, now, now).lastInsertRowid,
      );
    });
  }

  /** `startCopy`: planned → copying, from `source` (an in-sync placement chosen now for a replicate move). */
  startCopy(id: number, source: string): void {
    this.tx(() => {
      const m = this.expectMove(id, ['planned', 'copying']);
      if (!this.inSync(m.colocationGroup, m.shard).some((p) => p.nodeId === source)) {
        throw new InfrabaseError('CONFLICT', `move ${id}: source ${source} is not in sync`);
      }
      const now = this.clock.now();
      this.db
        .prepare(
          "UPDATE sys_shard_moves SET state = 'copying', source_node = ?, started_at = COALESCE(started_at, ?), updated_at = ? WHERE id = ?",
        )
        .run(source, now, now, id);
    });
  }

  /**
   * `startCatchUp`: copying → catching_up once the target installed a snapshot holding writes up to
   * `snapshotLsn`; records the copy's size (bytes) and wall time (`copyMs`, ms; `copy_mb_per_s` derives from both).
   */
  startCatchUp(id: number, snapshotLsn: number, bytes: number, copyMs: number | null = null): void {
    this.tx(() => {
      const m = this.expectMove(id, ['copying']);
      const now = this.clock.now();
      this.db
        .prepare(
          "UPDATE sys_shard_moves SET state = 'catching_up', snapshot_lsn = ?, bytes = ?, copy_ms = ?, updated_at = ? WHERE id = ?",
        )
        .run(snapshotLsn, bytes, copyMs === null ? null : Math.max(0, Math.round(copyMs)), now, id);
      this.setPlacement(
        m.colocationGroup,
        m.shard,
        m.targetNode,
        'catching_up',
        `snapshot at lsn ${snapshotLsn}`,
      );
    });
  }

  /**
   * `completeMove`: catching_up → done. The caller holds the shard's write lock and the target has applied
   * every write up to the shard's lsn. In one transaction the target becomes in_sync under a new epoch; for a
   * `move` the source becomes `dropping` (and hands over the primary role). @returns the new epoch.
   */
  completeMove(id: number, appliedLsn: number): number {
    return this.tx(() => {
      const m = this.expectMove(id, ['catching_up']);
      const s = this.shard(m.colocationGroup, m.shard);
      if (appliedLsn !== s.lsn) {
        throw new InfrabaseError('CONFLICT', `move ${id}: target at lsn ${appliedLsn}, shard at ${s.lsn}`);
      }
      const epoch = s.epoch + 1;
      const now = this.clock.now();
      this.db
        .prepare(
          `UPDATE sys_placements SET state = 'in_sync', state_reason = NULL, epoch = ?, updated_at = ?
           WHERE colocation_group = ? AND shard = ? AND node_id = ?`,
        )
        .run(epoch, now, m.colocationGroup, m.shard, m.targetNode);
      if (m.kind === 'move' && m.sourceNode) {
        const wasPrimary = this.placements(m.colocationGroup, m.shard).some(
          (p) => p.nodeId === m.sourceNode && p.role === 'primary',
        );
        this.setPlacement(m.colocationGroup, m.shard, m.sourceNode, 'dropping', `moved to ${m.targetNode}`);
        if (wasPrimary) this.setRole(m.colocationGroup, m.shard, m.targetNode, 'primary');
      }
      this.ensurePrimary(m.colocationGroup, m.shard);
      this.db
        .prepare("UPDATE sys_shard_moves SET state = 'done', finished_at = ?, updated_at = ? WHERE id = ?")
        .run(now, now, id);
      this.setEpoch(m.colocationGroup, m.shard, epoch);
      return epoch;
    });
  }

  /** `failMove`: any unfinished state → failed with `reason`; the target placement becomes `dropping`. */
  failMove(id: number, reason: string): void {
    this.tx(() => {
      const m = this.expectMove(id, ['planned', 'copying', 'catching_up']);
      const now = this.clock.now();
      this.db
        .prepare(
          "UPDATE sys_shard_moves SET state = 'failed', reason = ?, finished_at = ?, updated_at = ? WHERE id = ?",
        )
        .run(reason, now, now, id);
      const target = this.placements(m.colocationGroup, m.shard).find((p) => p.nodeId === m.targetNode);
      if (target && target.state !== 'in_sync') {
        this.setPlacement(
          m.colocationGroup,
          m.shard,
          m.targetNode,
          'dropping',
          `move ${id} failed: ${reason}`,
        );
      }
    });
  }

  /**
   * `removeFromInSync`: the placements on `nodes` missed a write or their node is gone; they become
   * `out_of_sync` with `reason`, the epoch grows, and an in-sync replica is promoted if the primary left.
   * Must commit BEFORE any write is acknowledged without them. Removing the last in-sync placement is
   * allowed (the shard is then unavailable). @returns the new epoch.
   */
  removeFromInSync(group: string, shard: number, nodes: readonly string[], reason: string): number {
    return this.tx(() => {
      const s = this.shard(group, shard);
      const now = this.clock.now();
      const upd = this.db.prepare(
        `UPDATE sys_placements SET state = 'out_of_sync', role = 'replica', state_reason = ?, updated_at = ?
         WHERE colocation_group = ? AND shard = ? AND node_id = ? AND state = 'in_sync'`,
      );
      let changed = 0;
      for (const n of nodes) changed += upd.run(reason, now, group, shard, n).changes;
      if (changed === 0) return s.epoch;
      this.ensurePrimary(group, shard);
      this.setEpoch(group, shard, s.epoch + 1);
      return s.epoch + 1;
    });
  }

  /**
   * `recordWrite` when some in-sync placements did not acknowledge: in ONE transaction they leave the
   * in-sync set (epoch bump, primary promoted if needed) and the lsn is recorded. Commits before the write
   * is acknowledged. @returns the new epoch.
   */
  recordWriteWithout(
    group: string,
    shard: number,
    lsn: number,
    failed: readonly string[],
    reason: string,
  ): number {
    return this.tx(() => {
      const epoch = this.removeFromInSync(group, shard, failed, reason);
      this.recordWrite(group, shard, lsn);
      return epoch;
    });
  }

  /** `markSchemaApplied`: every shard of the table's group has the table. */
  markSchemaApplied(table: string): void {
    this.db
      .prepare('UPDATE sys_distributed_tables SET schema_applied = 1, updated_at = ? WHERE name = ?')
      .run(this.clock.now(), table);
  }

  /** `recordWrite`: the shard's last acknowledged write is `lsn` (every in-sync placement applied it). */
  recordWrite(group: string, shard: number, lsn: number): void {
    this.tx(() => {
      const s = this.shard(group, shard);
      if (lsn < s.lsn)
        throw new InfrabaseError(
          'CONFLICT',
          `shard ${SHARD_KEY(group, shard)} is at lsn ${s.lsn}; got ${lsn}`,
        );
      this.db
        .prepare('UPDATE sys_shards SET lsn = ?, updated_at = ? WHERE colocation_group = ? AND shard = ?')
        .run(lsn, this.clock.now(), group, shard);
    });
  }

  /**
   * `handOffPrimary`: an in-sync replica becomes the shard's primary (the old primary stays an in-sync
   * replica), under a new epoch. The caller holds the shard's write lock. @returns the new epoch.
   * @throws CONFLICT when `node` holds no in-sync placement of the shard.
   */
  handOffPrimary(group: string, shard: number, node: string): number {
    return this.tx(() => {
      const p = this.placements(group, shard).find((x) => x.nodeId === node);
      if (p?.state !== 'in_sync') {
        throw new InfrabaseError(
          'CONFLICT',
          `${SHARD_KEY(group, shard)} has no in-sync placement on ${node}`,
        );
      }
      const s = this.shard(group, shard);
      this.setRole(group, shard, node, 'primary');
      this.setEpoch(group, shard, s.epoch + 1);
      return s.epoch + 1;
    });
  }

  /**
   * `createTable`: a new distributed table's row. The catalog's trigger fills its colocation group, a NULL
   * replication factor (2 with two or more running data nodes, else 1) and inserts its group's shards; the
   * rebalancer then places them and applies the table (`markSchemaApplied`).
   * @throws SqliteError (a `CONSTRAINT`, its message naming the rule) for a definition the catalog refuses: a
   *   taken or bad name, unknown column types, a shard key that is not a column, a shard count out of range.
   */
  createTable(def: TableDefinition): void {
    this.db
      .prepare(
        `INSERT INTO sys_distributed_tables (name, columns, shard_key, shard_count, replication_factor)
         VALUES (?, ?, ?, COALESCE(?, 32), ?)`,
      )
      .run(
        def.name,
        JSON.stringify(def.columns),
        def.shardKey ?? null,
        def.shardCount ?? null,
        def.replicationFactor ?? null,
      );
  }

  /**
   * `requestDrop`: a table's DROP begins (DROP TABLE, a load's `replace`, a create that timed out): its row's
   * DELETE, which the catalog's finalizer turns into `status = 'dropping'`; `dropGroup` and `removeTable` follow.
   */
  requestDrop(name: string): void {
    this.db.prepare('DELETE FROM sys_distributed_tables WHERE name = ?').run(name);
  }

  /**
   * `dropGroup`: every table of a colocation group is `dropping` (DROP TABLE / DELETE of the last one): in one
   * transaction each of its placements becomes `dropping` (the files are deleted from the agents next, then
   * the rows) and its unfinished moves fail. Idempotent. @throws CONFLICT while a table of the group is active.
   */
  dropGroup(group: string): void {
    this.tx(() => {
      const active = this.db
        .prepare(
          "SELECT count(*) AS n FROM sys_distributed_tables WHERE colocation_group = ? AND status = 'active'",
        )
        .get(group) as { n: number };
      if (active.n > 0) {
        throw new InfrabaseError(
          'CONFLICT',
          `colocation group ${group} still has ${active.n} active table(s)`,
        );
      }
      const now = this.clock.now();
      this.db
        .prepare(
          `UPDATE sys_shard_moves SET state = 'failed', reason = 'table dropped', finished_at = ?, updated_at = ?
           WHERE colocation_group = ? AND state NOT IN ('done', 'failed')`,
        )
        .run(now, now, group);
      this.db
        .prepare(
          `UPDATE sys_placements SET role = 'replica', state = 'dropping', state_reason = 'table dropped', updated_at = ?
           WHERE colocation_group = ? AND state <> 'dropping'`,
        )
        .run(now, group);
    });
  }

  /**
   * `removeTable`: the last step of a DROP: the `dropping` table's row goes (with its group's shards when it
   * was the group's last table). Only once its group holds no placement, or when other tables keep the group
   * (the table was dropped from every shard by a `drop_table` batch). @throws CONFLICT otherwise.
   */
  removeTable(name: string): void {
    this.tx(() => {
      const t = this.tables().get(name.toLowerCase());
      if (t?.status !== 'dropping') return;
      const others = this.db
        .prepare('SELECT count(*) AS n FROM sys_distributed_tables WHERE colocation_group = ? AND name <> ?')
        .get(t.colocationGroup, t.name) as { n: number };
      if (others.n === 0 && this.placements(t.colocationGroup).length > 0) {
        throw new InfrabaseError('CONFLICT', `table ${t.name}: placements of ${t.colocationGroup} are left`);
      }
      this.db
        .prepare("DELETE FROM sys_distributed_tables WHERE name = ? AND status = 'dropping'")
        .run(t.name);
    });
  }

  /** `markDropping`: an out-of-sync placement (or one on a dead node) is to be deleted from its agent. */
  markDropping(group: string, shard: number, node: string, reason: string): void {
    this.tx(() => {
      const p = this.placements(group, shard).find((x) => x.nodeId === node);
      if (!p) return;
      if (p.state === 'in_sync') {
        throw new InfrabaseError(
          'CONFLICT',
          `placement ${SHARD_KEY(group, shard)} on ${node} is in sync; remove it from the in-sync set first`,
        );
      }
      this.setPlacement(group, shard, node, 'dropping', reason);
    });
  }

  /** `dropPlacement`: the agent deleted the file (or the node is gone); the row goes. Only `dropping` rows. */
  dropPlacement(group: string, shard: number, node: string): void {
    this.tx(() => {
      this.db
        .prepare(
          "DELETE FROM sys_placements WHERE colocation_group = ? AND shard = ? AND node_id = ? AND state = 'dropping'",
        )
        .run(group, shard, node);
    });
  }

  /** `recordStats`: rows, bytes and checksum a placement reported (observed; no state change). */
  recordStats(
    group: string,
    shard: number,
    node: string,
    stats: { rows: number; bytes: number; checksum?: string },
  ): void {
    this.db
      .prepare(
        `UPDATE sys_placements SET rows = ?, bytes = ?, checksum = COALESCE(?, checksum), updated_at = ?
         WHERE colocation_group = ? AND shard = ? AND node_id = ?`,
      )
      .run(stats.rows, stats.bytes, stats.checksum ?? null, this.clock.now(), group, shard, node);
  }

  private expectMove(id: number, states: readonly MoveState[]): MoveRow {
    const m = this.move(id);
    if (!states.includes(m.state)) {
      throw new InfrabaseError('CONFLICT', `move ${id} is ${m.state}; expected ${states.join(' or ')}`);
    }
    return m;
  }

  private setPlacement(
    group: string,
    shard: number,
    node: string,
    state: PlacementState,
    reason: string | null,
  ) {
    this.db
      .prepare(
        `UPDATE sys_placements SET state = ?, state_reason = ?, role = CASE WHEN ? = 'in_sync' THEN role ELSE 'replica' END,
                updated_at = ? WHERE colocation_group = ? AND shard = ? AND node_id = ?`,
      )
      .run(state, reason, state, this.clock.now(), group, shard, node);
  }

  private setRole(group: string, shard: number, node: string, role: PlacementRole) {
    if (role === 'primary') {
      this.db
        .prepare(
          "UPDATE sys_placements SET role = 'replica' WHERE colocation_group = ? AND shard = ? AND role = 'primary'",
        )
        .run(group, shard);
    }
    this.db
      .prepare('UPDATE sys_placements SET role = ? WHERE colocation_group = ? AND shard = ? AND node_id = ?')
      .run(role, group, shard, node);
  }

  /** `promotePrimary` when the shard has in-sync placements but no primary: the first in-sync by node id. */
  private ensurePrimary(group: string, shard: number) {
    const ps = this.placements(group, shard);
    if (ps.some((p) => p.role === 'primary')) return;
    const next = ps.find((p) => p.state === 'in_sync');
    if (next) this.setRole(group, shard, next.nodeId, 'primary');
  }

  private setEpoch(group: string, shard: number, epoch: number) {
    this.db
      .prepare('UPDATE sys_shards SET epoch = ?, updated_at = ? WHERE colocation_group = ? AND shard = ?')
      .run(epoch, this.clock.now(), group, shard);
  }

  private tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }
}
