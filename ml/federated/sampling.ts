import { InfrabaseError, type Random } from '../../engine/index.js';

/**
 * Picks the shards of a round: max(minShards, ⌊fraction·available⌋) of them (Flower's rule), capped at the
 * number available, uniformly without replacement with `random`. The result keeps the input order. Pure for a
 * given random source.
 * @throws InfrabaseError('UNAVAILABLE') when fewer than `minShards` shards are available;
 *   InfrabaseError('INVALID_ARGUMENT') for fraction outside (0, 1] or minShards < 1.
 */
export function sampleShards(
  available: readonly string[],
  fraction: number,
  minShards: number,
  random: Random,
): string[] {
  if (!(fraction > 0 && fraction <= 1)) {
    throw new InfrabaseError('INVALID_ARGUMENT', `fraction must be in (0, 1], got ${fraction}`);
  }
  if (!Number.isInteger(minShards) || minShards < 1) {
    throw new InfrabaseError('INVALID_ARGUMENT', `min_shards must be an integer >= 1, got ${minShards}`);
  }
  if (available.length < minShards) {
    throw new InfrabaseError(
      'UNAVAILABLE',
      `${available.length} shard(s) available but min_shards is ${minShards}`,
      { details: { available: available.length, minShards } },
    );
  }
  const count = Math.min(available.length, Math.max(minShards, Math.floor(fraction * available.length)));
  const indices = available.map((_, i) => i);
  for (let i = indices.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [indices[i], indices[j]] = [indices[j], indices[i]];
  }
  return indices
    .slice(0, count)
    .sort((a, b) => a - b)
    .map((i) => available[i]);
}

/** A 32-bit seed for (job seed, round, shard), so every shard shuffles differently every round. */
export function roundSeed(jobSeed: number, round: number, shardId: string): number {
  let h = 0x811c9dc5 ^ (jobSeed >>> 0);
  const mix = (x: number) => {
    h ^= x;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  mix(round);
  for (let i = 0; i < shardId.length; i++) mix(shardId.charCodeAt(i));
  return h >>> 0;
}
