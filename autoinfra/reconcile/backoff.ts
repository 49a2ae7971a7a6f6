import type { Random } from '../../engine/index.js';

/** Exponential backoff settings, in milliseconds. */
export interface BackoffOptions {
  /** Delay ceiling of the first retry. Default 200. */
  readonly baseMs?: number;
  /** Largest delay ceiling. Default 60000. */
  readonly capMs?: number;
}

/**
 * "Full jitter" backoff (AWS Architecture Blog, Brooker 2015; aws-sdk-js-v3's default retry strategy):
 * `random() * min(cap, base * 2^failures)`.
 *
 * @param failures consecutive failures so far (0 for the first retry).
 * @returns the delay in milliseconds, in `[0, min(cap, base * 2^failures))`.
 * @example fullJitterBackoff(3, () => 0.5) // 0.5 * 1600 = 800
 */
export function fullJitterBackoff(failures: number, random: Random, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 200;
  const cap = options.capMs ?? 60_000;
  const exp = Math.min(cap, base * 2 ** Math.min(Math.max(0, failures), 40));
  return Math.floor(random() * exp);
}
