import { InfrabaseError } from '../../engine/index.js';
import type { Strategy } from './strategy.js';

/**
 * Byte encodings of the global weights for `sys_training_rounds.weights` (a BLOB), so a restarted coordinator
 * resumes from the last completed round: float64 little-endian, 8 bytes per parameter, no header. A FedAdam
 * checkpoint is three such vectors back to back: weights, m, v.
 */
export function encodeWeights(weights: Float64Array): Uint8Array {
  const out = new Uint8Array(weights.length * 8);
  const view = new DataView(out.buffer);
  weights.forEach((v, i) => {
    view.setFloat64(i * 8, v, true);
  });
  return out;
}

/**
 * Decodes {@link encodeWeights} bytes.
 * @param expected parameter count the model needs; checked when given.
 * @throws InfrabaseError('INVALID_ARGUMENT') when the length is not a multiple of 8 or not `expected`·8.
 */
export function decodeWeights(bytes: Uint8Array, expected?: number): Float64Array {
  if (bytes.length % 8 !== 0 || (expected !== undefined && bytes.length !== expected * 8)) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `weights checkpoint has ${bytes.length} bytes; expected ${expected === undefined ? 'a multiple of 8' : `${expected * 8} (${expected} float64 parameters)`}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(bytes.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

/**
 * A round's checkpoint: the global weights followed by the strategy's saved state (`Strategy.saveState`), each
 * vector as {@link encodeWeights} (for FedAdam the weights, then its moments m and v; for the other strategies
 * the weights alone).
 */
export function encodeCheckpoint(weights: Float64Array, strategy: Pick<Strategy, 'saveState'>): Uint8Array {
  const state = strategy.saveState();
  const all = new Float64Array(weights.length * (1 + state.length));
  all.set(weights, 0);
  state.forEach((v, i) => {
    all.set(v, weights.length * (i + 1));
  });
  return encodeWeights(all);
}

/**
 * Decodes {@link encodeCheckpoint} bytes for a model of `parameterCount` parameters: restores the strategy's
 * state into `strategy` and returns the global weights.
 * @throws InfrabaseError('INVALID_ARGUMENT') when the length is not a whole number of parameter vectors, or
 *   the strategy refuses the state (another strategy's checkpoint).
 */
export function restoreCheckpoint(
  bytes: Uint8Array,
  parameterCount: number,
  strategy: Pick<Strategy, 'restoreState'>,
): Float64Array {
  const all = decodeWeights(bytes);
  if (all.length === 0 || all.length % parameterCount !== 0) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `checkpoint has ${all.length} float64 values; expected a multiple of ${parameterCount} parameters`,
    );
  }
  const vectors = all.length / parameterCount;
  const state = Array.from({ length: vectors - 1 }, (_, i) =>
    all.slice((i + 1) * parameterCount, (i + 2) * parameterCount),
  );
  strategy.restoreState(state);
  return all.slice(0, parameterCount);
}
