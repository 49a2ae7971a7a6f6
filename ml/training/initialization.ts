import { type Random, seededRandom } from '../../engine/index.js';
import { layerSlices, type ModelSpec, parameterCount } from './model-spec.js';

/**
 * Seeded initial weights in the flat layout: W ~ U(−a, a) with a = √(6 / fan_in) for layers feeding a ReLU
 * (He et al. 2015, arXiv:1502.01852) and a = √(6 / (fan_in + fan_out)) for the output layer (Glorot & Bengio
 * 2010); biases 0. Models without hidden layers start at zero, the usual starting point of a convex fit.
 * @param random a {@link Random} or a seed for engine/clock.ts `seededRandom`.
 */
export function initialWeights(spec: ModelSpec, random: Random | number): Float64Array {
  const rand = typeof random === 'number' ? seededRandom(random) : random;
  const w = new Float64Array(parameterCount(spec));
  if (spec.hidden.length === 0) return w;
  const slices = layerSlices(spec);
  slices.forEach(({ inputs, outputs, weightOffset }, l) => {
    const last = l === slices.length - 1;
    const a = Math.sqrt(6 / (last ? inputs + outputs : inputs));
    for (let p = weightOffset; p < weightOffset + inputs * outputs; p++) w[p] = (2 * rand() - 1) * a;
  });
  return w;
}

/** Fisher–Yates shuffle of `indices` in place with `random`. */
export function shuffleInPlace(indices: Uint32Array, random: Random): void {
  for (let i = indices.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = indices[i];
    indices[i] = indices[j];
    indices[j] = t;
  }
}
