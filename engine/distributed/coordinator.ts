import { InfrabaseError, isInfrabaseError } from '../errors.js';
import { shardForValue } from './hash.js';
import type { DistributedStore, TableRow } from './store.js';
import type { PlacementTransport } from './transport.js';
import type { ShardQueryResult, ShardReader } from './types.js';
import type { WriteOp } from './write-batch.js';

/** How many times a read re-reads a shard's in-sync set after its placement moved away under it. */
const QUERY_CATALOG_READS = 3;
/** What a write did: rows changed per shard (`group/shard`), and the shards whose in-sync set shrank. */
export interface WriteResult {
  readonly rows: number;
  /** For an insert: the `_row` of its first row; the rows got consecutive ids in their order. */
  readonly firstRow?: number;
  readonly shards: number;
  /** Placements that left the in-sync set during this write (`group/shard@node`). */
  readonly evicted: readonly string[];
}

/**
 * The write coordinator of distributed tables and the {@link ShardReader} over placements
 * (docs/distributed-tables.md, "Writes" and "Reads"). One per control plane. Per shard it serialises writes,
 * move completions and in-sync-set changes with an in-memory lock, and it only acknowledges a batch once
 * every in-sync placement applied it — or once the ones that did not have left the in-sync set by a committed
 * catalog write. After a failed write, and for every shard after a restart, the shard is *recovered* (its
 * in-sync placements brought to the same lsn from the log) before its next write.
 */
export class ShardCoordinator implements ShardReader {
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Shards known consistent since this coordinator started (everything else is recovered first). */
  private readonly clean = new Set<string>();

  constructor(
    private readonly store: DistributedStore,
    private readonly transport: PlacementTransport,
  ) {}

  tables(): ReadonlyMap<string, TableRow> {
    return this.store.tables();
  }

  /**
   * Runs `fn` holding the write lock of one shard (FIFO). Exposed for the mover's final catch-up.
   */
  async withShardLock<T>(group: string, shard: number, fn: () => Promise<T>): Promise<T> {
    const key = `${group}/${shard}`;
    const prev = this.locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }

  /**
   * Inserts rows (values for `columns`, which must be columns of the table, `_row` excluded): ids come from
   * the table's `next_row`, each row goes to the shard of its key (within its region for a pinned table),
   * and the call resolves once every touched shard acknowledged.
   * @throws INVALID_ARGUMENT for unknown columns or a region that is not accepted; UNAVAILABLE naming the
   *   table and shards that have no in-sync placement (other shards may have been written: each shard's
   *   batch is atomic, a multi-shard insert is not).
   */
  async insert(
    tableName: string,
    columns: readonly string[],
    rows: readonly (readonly unknown[])[],
  ): Promise<WriteResult> {
    const table = this.table(tableName);
    const known = new Set(table.columns.map((c) => c.name));
    for (const c of columns) {
      if (!known.has(c) || c === '_row') {
        throw new InfrabaseError(
          'INVALID_ARGUMENT',
          `column '${c}' is not a column of ${table.name}; columns: ${table.columns
            .slice(1)
            .map((x) => x.name)
            .join(', ')}`,
        );
      }
    }
    for (const [i, r] of rows.entries()) {
      if (!Array.isArray(r) || r.length !== columns.length) {
        throw new InfrabaseError(
          'INVALID_ARGUMENT',
          `row ${i} has ${Array.isArray(r) ? r.length : 'no'} values; expected ${columns.length}`,
        );
      }
    }
    const keyIndex = columns.indexOf(table.shardKey);
    const regionIndex = table.regionColumn ? columns.indexOf(table.regionColumn) : -1;
    if (table.regionColumn && regionIndex < 0) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `${table.name} is pinned by ${table.regionColumn}: give its value`,
      );
    }
    const shardOf = (row: readonly unknown[], id: number): number => {
      if (table.kind === 'reference') return 0;
      const key = table.shardKey === '_row' ? id : keyIndex < 0 ? null : row[keyIndex];
      const within = shardForValue(key, table.shardCount);
      if (!table.regions) return within;
      const r = table.regions.indexOf(String(row[regionIndex]));
      if (r < 0) {
        throw new InfrabaseError(
          'INVALID_ARGUMENT',
          `${table.name}.${table.regionColumn} = ${JSON.stringify(row[regionIndex])} is not a region of the table; accepted: ${table.regions.join(', ')}`,
        );
      }
      return r * table.shardCount + within;
    };
    // Refuse bad regions before any id is spent.
    for (const [i, r] of rows.entries()) shardOf(r, i + 1);
    const first = this.store.allocateRowIds(table.name, rows.length);
    const byShard = new Map<number, unknown[][]>();
    rows.forEach((r, i) => {
      const id = first + i;
      const s = shardOf(r, id);
      byShard.set(s, [...(byShard.get(s) ?? []), [id, ...r]]);
    });
    const cols = ['_row', ...columns];
    const create: WriteOp = { op: 'create_table', table: table.name, columns: table.columns.slice(1) };
    const result = await this.writeShards(table, [...byShard.keys()], async (shard) => [
      create,
      { op: 'upsert', table: table.name, columns: cols, rows: byShard.get(shard)! },
    ]);
    return { ...result, firstRow: first };
  }

  /**
   * Runs an UPDATE or DELETE on every shard of the table's group: evaluated on each shard's primary into row
   * images, which are applied to every in-sync placement. Atomic per shard, not across shards.
   * @throws as {@link ShardCoordinator.insert}; INVALID_ARGUMENT when the statement is refused (e.g. changes
   *   the shard key).
   */
  async modify(tableName: string, sql: string, params: readonly unknown[] = []): Promise<WriteResult> {
    const table = this.table(tableName);
    const shards = this.store.shards(table.colocationGroup).map((s) => s.shard);
    const keys: Record<string, string> = {};
    for (const t of this.store.tables().values()) {
      if (t.colocationGroup === table.colocationGroup) keys[t.name.toLowerCase()] = t.shardKey;
    }
    return this.writeShards(table, shards, async (shard, primary) =>
      this.transport.evaluate(primary, table.colocationGroup, shard, sql, params, keys),
    );
  }

  /**
   * Writes one batch to `shard` of a group under its lock (docs: "Writes: what is acknowledged when").
   * Exposed for schema batches and tests. @returns rows changed and evicted placements.
   */
  async writeBatch(
    group: string,
    shard: number,
    makeOps: (primary: string) => Promise<WriteOp[]>,
    tableNames: readonly string[] = [group],
  ): Promise<{ rows: number; evicted: string[] }> {
    return this.withShardLock(group, shard, async () => {
      await this.recoverLocked(group, shard);
      const inSync = this.store.inSync(group, shard);
      if (inSync.length === 0) throw this.unavailable(tableNames, [shard]);
      const s = this.store.shard(group, shard);
      const ops = await makeOps(inSync[0].nodeId);
      const rows = ops.reduce(
        (n, op) => n + (op.op === 'upsert' || op.op === 'delete' ? op.rows.length : 0),
        0,
      );
      if (ops.length === 0 || (rows === 0 && ops.every((o) => o.op === 'upsert' || o.op === 'delete'))) {
        return { rows: 0, evicted: [] };
      }
      const batch = { epoch: s.epoch, lsn: s.lsn + 1, ops };
      const settled = await Promise.allSettled(
        inSync.map((p) => this.transport.apply(p.nodeId, group, shard, batch)),
      );
      const failed: string[] = [];
      const reasons: string[] = [];
      settled.forEach((r, i) => {
        if (r.status === 'fulfilled' && r.value === 'applied') return;
        failed.push(inSync[i].nodeId);
        reasons.push(
          r.status === 'rejected' ? (r.reason as Error).message : `lsn ${batch.lsn} was already there`,
        );
      });
      const stale = settled.find(
        (r) => r.status === 'rejected' && /stale epoch/.test((r.reason as Error).message),
      );
      if (stale) {
        // Another coordinator moved this shard on: our view is old. Nothing is acknowledged.
        this.clean.delete(`${group}/${shard}`);
        throw (stale as PromiseRejectedResult).reason;
      }
      if (failed.length === inSync.length) {
        this.clean.delete(`${group}/${shard}`);
        throw new InfrabaseError(
          'UNAVAILABLE',
          `write to ${tableNames.join(', ')} shard ${shard} was not acknowledged by any in-sync placement: ${reasons.join('; ')}`,
        );
      }
      if (failed.length === 0) {
        this.store.recordWrite(group, shard, batch.lsn);
        return { rows, evicted: [] };
      }
      // The in-sync set shrinks by a committed catalog write BEFORE the write is acknowledged without them.
      this.store.recordWriteWithout(
        group,
        shard,
        batch.lsn,
        failed,
        `missed lsn ${batch.lsn}: ${reasons.join('; ')}`,
      );
      return { rows, evicted: failed.map((n) => `${group}/${shard}@${n}`) };
    });
  }

  /**
   * Brings the in-sync placements of a shard to one lsn: the highest any reachable one holds, shipping the
   * missing batches from its log. Unreachable or failing placements leave the in-sync set. Takes the lock.
   */
  async recover(group: string, shard: number): Promise<void> {
    await this.withShardLock(group, shard, () => this.recoverLocked(group, shard, true));
  }

  /** {@link recover} for a caller that holds the shard's lock (the mover). */
  async recoverLocked(group: string, shard: number, force = false): Promise<void> {
    const key = `${group}/${shard}`;
    if (this.clean.has(key) && !force) return;
    const inSync = this.store.inSync(group, shard);
    if (inSync.length === 0) return;
    const settled = await Promise.allSettled(
      inSync.map((p) => this.transport.position(p.nodeId, group, shard)),
    );
    const failed: string[] = [];
    const reasons: string[] = [];
    const at = new Map<string, number>();
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') at.set(inSync[i].nodeId, r.value.lsn);
      else {
        failed.push(inSync[i].nodeId);
        reasons.push((r.reason as Error).message);
      }
    });
    if (at.size === 0) {
      throw this.unavailable([group], [shard], `no in-sync placement answered: ${reasons.join('; ')}`);
    }
    const s = this.store.shard(group, shard);
    const max = Math.max(...at.values());
    const leader = [...at.entries()].find(([, lsn]) => lsn === max)![0];
    if (max < s.lsn) {
      // Cannot happen while invariant 1 holds; refuse rather than acknowledge on top of lost writes.
      throw new InfrabaseError(
        'INTERNAL',
        `shard ${key}: in-sync placements reach lsn ${max}, catalog says ${s.lsn}`,
      );
    }
    for (const [node, lsn] of at) {
      if (lsn === max) continue;
      try {
        for (const b of await this.transport.logSince(leader, group, shard, lsn)) {
          await this.transport.apply(node, group, shard, { ...b, epoch: Math.max(b.epoch, s.epoch) });
        }
      } catch (err) {
        failed.push(node);
        reasons.push(`catch-up from ${leader} failed: ${(err as Error).message}`);
      }
    }
    if (failed.length > 0 || max !== s.lsn) {
      this.store.recordWriteWithout(
        group,
        shard,
        max,
        failed,
        `recovery: ${reasons.join('; ') || 'caught up'}`,
      );
    }
    this.clean.add(key);
  }

  /**
   * Which node reads which shard of a group, for jobs that read every shard once (federated training): each
   * shard's first in-sync placement (the primary) is assigned to its node, so every row is read exactly once.
   * @throws UNAVAILABLE naming the group's tables and the shards without an in-sync placement.
   */
  assignReads(group: string): Map<string, { colocationGroup: string; shard: number }[]> {
    const out = new Map<string, { colocationGroup: string; shard: number }[]>();
    const missing: number[] = [];
    for (const s of this.store.shards(group)) {
      const p = this.store.inSync(group, s.shard)[0];
      if (!p) missing.push(s.shard);
      else out.set(p.nodeId, [...(out.get(p.nodeId) ?? []), { colocationGroup: group, shard: s.shard }]);
    }
    if (missing.length > 0) {
      const names = [...this.store.tables().values()]
        .filter((t) => t.colocationGroup === group)
        .map((t) => t.name);
      throw this.unavailable(names, missing);
    }
    return out;
  }

  /**
   * {@link ShardReader.query}: the primary first, then the other in-sync placements. A placement its node no
   * longer holds (`NOT_FOUND`: a move switched it away after the in-sync set was read) sends the read back to
   * the catalog for the current in-sync set, up to {@link QUERY_CATALOG_READS} times.
   */
  async query(
    target: { readonly colocationGroup: string; readonly shard: number },
    sql: string,
    params: readonly unknown[],
  ): Promise<ShardQueryResult> {
    const { colocationGroup: group, shard } = target;
    const names = [...this.store.tables().values()]
      .filter((t) => t.colocationGroup === group)
      .map((t) => t.name);
    let last: unknown;
    for (let read = 0; read < QUERY_CATALOG_READS; read++) {
      let moved = false;
      for (const p of this.store.inSync(group, shard)) {
        try {
          return await this.transport.query(p.nodeId, group, shard, sql, params);
        } catch (err) {
          const gone = isInfrabaseError(err, 'NOT_FOUND');
          if (!gone && !isInfrabaseError(err, 'UNAVAILABLE') && !isInfrabaseError(err, 'TIMEOUT')) throw err;
          moved ||= gone;
          last = err;
        }
      }
      if (!moved) break;
    }
    throw this.unavailable(
      names.length ? names : [group],
      [shard],
      last ? (last as Error).message : undefined,
    );
  }

  /**
   * The `UNAVAILABLE` error of the "Unavailable shards" rule: names the tables and shards.
   */
  unavailable(tables: readonly string[], shards: readonly number[], detail?: string): InfrabaseError {
    return new InfrabaseError(
      'UNAVAILABLE',
      `table ${tables.join(', ')}: shard${shards.length > 1 ? 's' : ''} ${shards.join(', ')} ${shards.length > 1 ? 'have' : 'has'} no available in-sync placement${detail ? ` (${detail})` : ''}`,
      { details: { tables: [...tables], shards: [...shards] } },
    );
  }

  /**
   * `DROP TABLE`: the table's catalog row becomes `dropping` (as a user's `DELETE FROM sys_distributed_tables`
   * does, through the catalog's finalizer); the rebalancer then deletes its placements from the agents and
   * the row. @returns 1. @throws NOT_FOUND when no such active table exists.
   */
  dropTable(name: string): number {
    const t = this.table(name);
    this.store.requestDrop(t.name);
    return 1;
  }

  private table(name: string): TableRow {
    const t = this.store.tables().get(name.toLowerCase());
    if (t?.status !== 'active') {
      throw new InfrabaseError('NOT_FOUND', `distributed table '${name}' does not exist`);
    }
    return t as TableRow;
  }

  private async writeShards(
    table: TableRow,
    shards: readonly number[],
    makeOps: (shard: number, primary: string) => Promise<WriteOp[]>,
  ): Promise<WriteResult> {
    const settled = await Promise.allSettled(
      shards.map((s) =>
        this.writeBatch(table.colocationGroup, s, (primary) => makeOps(s, primary), [table.name]),
      ),
    );
    const down = shards.filter((_, i) => settled[i].status === 'rejected');
    if (down.length > 0) {
      const first = (settled.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
      if (!isInfrabaseError(first, 'UNAVAILABLE')) throw first;
      throw this.unavailable([table.name], down, (first as Error).message);
    }
    let rows = 0;
    const evicted: string[] = [];
    for (const r of settled) {
      if (r.status === 'fulfilled') {
        rows += r.value.rows;
        evicted.push(...r.value.evicted);
      }
    }
    return { rows, shards: shards.length, evicted };
  }
}
