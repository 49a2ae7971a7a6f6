import { InfrabaseError, isInfrabaseError } from '../errors.js';
import type { ShardCoordinator } from './coordinator.js';

/** Every shard's rows of one statement, each row once, `_shard` (the shard number) first. */
export interface ShardsQueryResult {
  columns: string[];
  rows: unknown[][];
  /** Shards read. */
  shards: number;
}

/**
 * One read-only statement on ONE in-sync copy of every shard of a colocation group (`ShardCoordinator.query`,
 * all shards at once), rows tagged `_shard` — every row of the group's tables once, or an error, never a
 * partial answer.
 * @throws InfrabaseError('NOT_FOUND') for a group without an active table; `UNAVAILABLE` naming the group's
 *   tables and every shard without an available copy; another shard's error as it came.
 */
export async function queryShards(
  c: ShardCoordinator,
  group: string,
  sql: string,
  params: readonly unknown[],
): Promise<ShardsQueryResult> {
  const tables = [...c.tables().values()].filter((x) => x.colocationGroup === group && x.status === 'active');
  if (tables.length === 0) throw new InfrabaseError('NOT_FOUND', `colocation group '${group}' has no table`);
  const t = tables[0];
  const shards = [...Array(t.kind === 'reference' ? 1 : t.shardCount * (t.regions?.length ?? 1)).keys()];
  const settled = await Promise.allSettled(
    shards.map((shard) => c.query({ colocationGroup: group, shard }, sql, params)),
  );
  const down = shards.filter((_, i) => settled[i].status === 'rejected');
  if (down.length > 0) {
    const first = (settled.find((s) => s.status === 'rejected') as PromiseRejectedResult).reason;
    if (!isInfrabaseError(first, 'UNAVAILABLE')) throw first;
    throw c.unavailable(
      tables.map((x) => x.name),
      down,
    );
  }
  const out: ShardsQueryResult = { columns: [], rows: [], shards: shards.length };
  settled.forEach((s, i) => {
    if (s.status !== 'fulfilled') return;
    if (out.columns.length === 0) out.columns = ['_shard', ...s.value.columns];
    for (const r of s.value.rows) out.rows.push([shards[i], ...r]);
  });
  return out;
}
