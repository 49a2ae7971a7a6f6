import type { PlacementPosition } from './placement-file.js';
import type { ByteRateLimiter } from './rate-limiter.js';
import type { ShardQueryResult } from './types.js';
import type { WriteBatch, WriteOp } from './write-batch.js';

/** What a placement reports about its content: a checksum over its rows by `_row`, counts and size. */
export interface PlacementDigest extends PlacementPosition {
  readonly checksum: string;
  readonly rows: number;
  readonly bytes: number;
  readonly tables: readonly string[];
}

/**
 * How the control plane reaches the placements on the data nodes: the agents' placement API over HTTP in
 * production, placement files in this process in the seeded simulation. Every call names the node; calls to
 * an unreachable node throw `UNAVAILABLE` or `TIMEOUT`; an agent's refusal keeps its code (`CONFLICT` for a
 * stale epoch or an lsn gap, `NOT_FOUND` for a placement it does not hold).
 */
export interface PlacementTransport {
  /** Creates an empty placement (idempotent). */
  create(node: string, group: string, shard: number, epoch: number): Promise<PlacementPosition>;
  /** The placements the node holds (to find orphans: files the catalog does not list). */
  list(node: string): Promise<PlacementPosition[]>;
  /** Deletes a placement (idempotent). */
  drop(node: string, group: string, shard: number): Promise<void>;
  /** Applies a batch; `duplicate` when its lsn was already applied. */
  apply(node: string, group: string, shard: number, batch: WriteBatch): Promise<'applied' | 'duplicate'>;
  position(node: string, group: string, shard: number): Promise<PlacementPosition>;
  /** Logged batches after `afterLsn`, oldest first. @throws CONFLICT when trimmed. */
  logSince(node: string, group: string, shard: number, afterLsn: number): Promise<WriteBatch[]>;
  /**
   * Copies a consistent snapshot (SQLite backup API) of `source`'s placement onto `target`, replacing any copy
   * there, its bytes passed through `limiter` (the data layer's MB/s limit) when given. @returns the snapshot's
   * lsn and size in bytes.
   */
  copy(
    source: string,
    target: string,
    group: string,
    shard: number,
    limiter?: ByteRateLimiter,
  ): Promise<{ lsn: number; bytes: number }>;
  digest(node: string, group: string, shard: number): Promise<PlacementDigest>;
  /** One read-only statement on the placement, reference tables attached. */
  query(
    node: string,
    group: string,
    shard: number,
    sql: string,
    params: readonly unknown[],
  ): Promise<ShardQueryResult>;
  /** Row images an UPDATE/DELETE would produce on the placement (evaluated and rolled back). */
  evaluate(
    node: string,
    group: string,
    shard: number,
    sql: string,
    params: readonly unknown[],
    shardKeys: Record<string, string>,
  ): Promise<WriteOp[]>;
}
