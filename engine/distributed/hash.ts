/**
 * Shard routing of distributed tables: a row belongs to the shard whose hash range holds the hash of its
 * shard-key value. The same function routes writes on the control plane, prunes `WHERE key = …` reads and
 * places rows at load, so it must never change for an existing table. Pure.
 */

/** Size of the hash space: hashes are unsigned 32-bit integers, 0 … 2^32 − 1. */
export const HASH_SPACE = 2 ** 32;

/**
 * The hash of a shard-key value's canonical text: NULL/undefined hash as the empty string, numbers as
 * JavaScript's `String(n)` (so `1` and `1.0` agree), bigints as their decimal digits, strings as they are (UTF-16
 * code units). BLOB keys are not accepted as shard keys. FNV-1a 32-bit (Fowler–Noll–Vo, variant 1a) over the
 * code units, then MurmurHash3's 32-bit finalizer (`fmix32`, Appleby): shards are ranges of the hash, so its high
 * bits must depend on every input bit, which FNV-1a alone does not give for short keys that differ in their last
 * character (`k0` … `k39` fell in 2 of 4 ranges).
 * @returns an unsigned 32-bit integer.
 */
export function shardHash(value: unknown): number {
  const s = value === null || value === undefined ? '' : String(value);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The shard (0 … shardCount − 1) whose hash range holds `hash`: shard i covers
 * [⌊i·2^32/shardCount⌋, ⌊(i+1)·2^32/shardCount⌋ − 1] (see {@link shardHashRange}).
 * @throws RangeError when shardCount is not a positive integer.
 */
export function shardForHash(hash: number, shardCount: number): number {
  if (!Number.isInteger(shardCount) || shardCount < 1) {
    throw new RangeError(`shard count must be a positive integer; got ${shardCount}`);
  }
  return Math.floor((hash * shardCount) / HASH_SPACE);
}

/** The shard of a shard-key value: `shardForHash(shardHash(value), shardCount)`. */
export function shardForValue(value: unknown, shardCount: number): number {
  return shardForHash(shardHash(value), shardCount);
}

/** Inclusive hash range [min, max] of shard `shard` of `shardCount` (the catalog's hash_min / hash_max). */
export function shardHashRange(shard: number, shardCount: number): { min: number; max: number } {
  return {
    min: Math.ceil((shard * HASH_SPACE) / shardCount),
    max: Math.ceil(((shard + 1) * HASH_SPACE) / shardCount) - 1,
  };
}
