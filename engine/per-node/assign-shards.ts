/**
 * How a load in the per-node layout spreads rows over its k data nodes: by a hash of a column's value (equal
 * values land together), or round-robin by the row's position in the file. Pure. (Distributed tables hash
 * with `shardHash`, engine/distributed/hash.ts.)
 */

/** FNV-1a 32-bit of the value's text form (NULL hashes as the empty string). */
export function fnv1a(value: unknown): number {
  const s = value === null || value === undefined ? '' : String(value);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h >>> 0;
}

/**
 * The shard (0…k−1) of each row of a batch.
 * @param offset position of the batch's first row in the whole load (for round-robin).
 * @param keyIndex column index to hash, or undefined for round-robin.
 */
export function assignShards(
  rows: readonly unknown[][],
  k: number,
  offset: number,
  keyIndex?: number,
): number[] {
  return rows.map((row, i) => (keyIndex === undefined ? (offset + i) % k : fnv1a(row[keyIndex]) % k));
}
