import { InfrabaseError } from '../../engine/index.js';
import { checkSameLength } from './fedavg.js';

/**
 * Byzantine-robust aggregates, coordinate by coordinate and unweighted (Yin et al. 2018, "Byzantine-Robust
 * Distributed Learning: Towards Optimal Statistical Rates", arXiv:1803.01498). Pure; return new vectors.
 */

/**
 * Coordinate-wise median: for each parameter the median of the clients' values (the mean of the two middle
 * values for an even count).
 * @throws InfrabaseError('INVALID_ARGUMENT') for no updates or lengths that differ.
 */
export function coordinateMedian(updates: readonly { weights: Float64Array }[]): Float64Array {
  const size = checkSameLength(updates, 'coordinateMedian');
  const k = updates.length;
  const column = new Float64Array(k);
  const out = new Float64Array(size);
  for (let p = 0; p < size; p++) {
    for (let i = 0; i < k; i++) column[i] = updates[i].weights[p];
    column.sort();
    out[p] = k % 2 === 1 ? column[(k - 1) / 2] : (column[k / 2 - 1] + column[k / 2]) / 2;
  }
  return out;
}

/**
 * Coordinate-wise β-trimmed mean: for each parameter, drop the ⌊β·k⌋ largest and ⌊β·k⌋ smallest of the k
 * clients' values and average the rest.
 * @param beta fraction trimmed from each end, in [0, 0.5).
 * @throws InfrabaseError('INVALID_ARGUMENT') for no updates, lengths that differ, or β outside [0, 0.5).
 */
export function trimmedMean(updates: readonly { weights: Float64Array }[], beta: number): Float64Array {
  const size = checkSameLength(updates, 'trimmedMean');
  if (!(beta >= 0 && beta < 0.5)) {
    throw new InfrabaseError('INVALID_ARGUMENT', `trimmed mean beta must be in [0, 0.5), got ${beta}`);
  }
  const k = updates.length;
  const cut = Math.floor(beta * k);
  const column = new Float64Array(k);
  const out = new Float64Array(size);
  for (let p = 0; p < size; p++) {
    for (let i = 0; i < k; i++) column[i] = updates[i].weights[p];
    column.sort();
    let s = 0;
    for (let i = cut; i < k - cut; i++) s += column[i];
    out[p] = s / (k - 2 * cut);
  }
  return out;
}
