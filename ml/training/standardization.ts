import { InfrabaseError } from '../../engine/index.js';
import type { Rows } from './rows.js';

/**
 * Feature standardisation computed federatedly: each shard reports only per-feature sums, sums of squares and
 * its row count ({@link featureMoments}); the coordinator merges them ({@link mergeMoments}) into a mean and a
 * population standard deviation ({@link standardizationFromMoments}). No row leaves its shard.
 */
export interface FeatureMoments {
  /** Rows counted. */
  count: number;
  /** Σ x per feature, [d]. */
  sum: number[];
  /** Σ x² per feature, [d]. */
  sumSquares: number[];
}

export interface Standardization {
  /** Per-feature mean, [d]. */
  mean: number[];
  /** Per-feature standard deviation, [d]; a constant feature gets 1 so it maps to 0 instead of NaN. */
  std: number[];
}

/** Per-feature Σx, Σx² and the count of a shard's rows. */
export function featureMoments(rows: Pick<Rows, 'X' | 'n' | 'd'>): FeatureMoments {
  const { X, n, d } = rows;
  const sum = new Array<number>(d).fill(0);
  const sumSquares = new Array<number>(d).fill(0);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) {
      const x = X[r * d + j];
      sum[j] += x;
      sumSquares[j] += x * x;
    }
  }
  return { count: n, sum, sumSquares };
}

/**
 * Merges shard moments by adding them.
 * @throws InfrabaseError('INVALID_ARGUMENT') when no moments are given or their feature counts differ.
 */
export function mergeMoments(parts: readonly FeatureMoments[]): FeatureMoments {
  if (parts.length === 0)
    throw new InfrabaseError('INVALID_ARGUMENT', 'mergeMoments needs at least one shard');
  const d = parts[0].sum.length;
  const merged: FeatureMoments = { count: 0, sum: new Array(d).fill(0), sumSquares: new Array(d).fill(0) };
  for (const p of parts) {
    if (p.sum.length !== d || p.sumSquares.length !== d) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `shard moments have ${p.sum.length} features, expected ${d}`,
      );
    }
    merged.count += p.count;
    for (let j = 0; j < d; j++) {
      merged.sum[j] += p.sum[j];
      merged.sumSquares[j] += p.sumSquares[j];
    }
  }
  return merged;
}

/**
 * Mean and population standard deviation √(E[x²] − E[x]²) from merged moments.
 * @throws InfrabaseError('INVALID_ARGUMENT') when the count is 0.
 */
export function standardizationFromMoments(m: FeatureMoments): Standardization {
  if (!(m.count > 0))
    throw new InfrabaseError('INVALID_ARGUMENT', `no rows to standardise (count ${m.count})`);
  const mean = m.sum.map((s) => s / m.count);
  const std = m.sumSquares.map((sq, j) => {
    const variance = Math.max(0, sq / m.count - mean[j] * mean[j]);
    const s = Math.sqrt(variance);
    return s > 1e-12 * Math.max(1, Math.abs(mean[j])) ? s : 1;
  });
  return { mean, std };
}

/** Returns rows with (x − mean) / std applied to every feature; `y` is shared, `X` is a new array. */
export function standardizeRows(rows: Rows, s: Standardization): Rows {
  const { X, n, d } = rows;
  if (s.mean.length !== d) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `standardisation has ${s.mean.length} features, rows have ${d}`,
    );
  }
  const out = new Float64Array(X.length);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) out[r * d + j] = (X[r * d + j] - s.mean[j]) / s.std[j];
  }
  return { X: out, y: rows.y, n, d };
}
