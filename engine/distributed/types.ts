/**
 * The contract between the distributed data layer (catalog, placements, replication, moves) and the query
 * planner: how a distributed table is described, and how one shard is read.
 */

/** One column of a distributed table as created on the shards: SQLite type affinity name. */
export interface ColumnSpec {
  readonly name: string;
  readonly type: 'INTEGER' | 'REAL' | 'TEXT' | 'BLOB' | 'NUMERIC';
}

/**
 * A user table that lives on the data nodes.
 * - `distributed`: split into `shardCount` shards by the hash of `shardKey` ({@link shardForValue}); a load
 *   without a key hashes the generated row id `_row`.
 * - `reference`: one shard (`shardCount` = 1) with a copy on every data node, joinable with any table.
 * Tables of one `colocationGroup` share shard count and key type, and shard i of each lives on the same
 * nodes, so a join on their shard keys runs on the nodes.
 */
export interface DistributedTable {
  readonly name: string;
  readonly kind: 'distributed' | 'reference';
  readonly shardKey: string;
  readonly shardCount: number;
  readonly colocationGroup: string;
  readonly columns: readonly ColumnSpec[];
}

/** Columns and rows of one statement on one shard; values as SQLite returns them (BLOBs as Buffers). */
export interface ShardQueryResult {
  readonly columns: string[];
  readonly rows: unknown[][];
}

/**
 * Reads shards for the planner. `query` runs one read-only statement on ONE in-sync placement of shard
 * `shard` of `colocationGroup`; in that statement every table of the group is its shard `shard`, and every
 * reference table is whole, each under its logical name.
 * @throws InfrabaseError('UNAVAILABLE') naming the table and shard when the shard has no in-sync placement —
 *   never a partial answer.
 */
export interface ShardReader {
  /** The distributed and reference tables, by lower-cased name. */
  tables(): ReadonlyMap<string, DistributedTable>;
  query(
    target: { readonly colocationGroup: string; readonly shard: number },
    sql: string,
    params: readonly unknown[],
    signal?: AbortSignal,
  ): Promise<ShardQueryResult>;
}
