/**
 * Migration 10: how long a move's snapshot copy took, so its throughput is readable in SQL.
 * - `sys_shard_moves.copy_ms` — wall time of the copy (snapshot out, stream, install), ms; set with `bytes`
 *   when the move reaches `catching_up`. The copy is throttled by the data layer's MB/s limit, so this is the
 *   throttled time.
 * - `sys_shard_moves.copy_mb_per_s` — derived: bytes / 2^20 / (copy_ms / 1000); NULL until copied.
 */
export const distributedMovesSchema = `
ALTER TABLE sys_shard_moves ADD COLUMN copy_ms INTEGER
  CONSTRAINT "sys_shard_moves.copy_ms must be >= 0" CHECK (copy_ms IS NULL OR copy_ms >= 0);
ALTER TABLE sys_shard_moves ADD COLUMN copy_mb_per_s REAL
  GENERATED ALWAYS AS (CASE WHEN copy_ms > 0 THEN bytes / 1048576.0 / (copy_ms / 1000.0) END) VIRTUAL;
`;
