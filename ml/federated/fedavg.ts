import { InfrabaseError } from '../../engine/index.js';

/** A weight vector with the number of examples behind it. */
export interface WeightedUpdate {
  weights: Float64Array;
  examples: number;
}

function checkSameLength(updates: readonly { weights: Float64Array }[], what: string): number {
  if (updates.length === 0) throw new InfrabaseError('INVALID_ARGUMENT', `${what} needs at least one update`);
  const size = updates[0].weights.length;
  for (const u of updates) {
    if (u.weights.length !== size) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `${what}: updates have different lengths (${u.weights.length} and ${size})`,
      );
    }
  }
  return size;
}

/**
 * FedAvg's aggregate: Σ_k (n_k / n) · w_k, the example-weighted mean of the client weights (McMahan et al.
 * 2017, arXiv:1602.05629, Algorithm 1). FedProx aggregates the same way (Li et al. 2020, arXiv:1812.06127).
 * Pure; returns a new vector.
 * @throws InfrabaseError('INVALID_ARGUMENT') for no updates, lengths that differ, or a non-positive total.
 */
export function weightedAverage(updates: readonly WeightedUpdate[]): Float64Array {
  const size = checkSameLength(updates, 'weightedAverage');
  const total = updates.reduce((s, u) => s + u.examples, 0);
  if (!(total > 0))
    throw new InfrabaseError('INVALID_ARGUMENT', `total example count must be > 0, got ${total}`);
  const out = new Float64Array(size);
  for (const u of updates) {
    for (let p = 0; p < size; p++) out[p] += u.examples * u.weights[p];
  }
  for (let p = 0; p < size; p++) out[p] /= total;
  return out;
}

/** @internal */
/** @internal */
export { checkSameLength };
