import { InfrabaseError } from '../../engine/index.js';

/** Server-side Adam hyper-parameters (Reddi et al. 2021, "Adaptive Federated Optimization", arXiv:2003.00295). */
export interface FedAdamParams {
  /** Server learning rate η (default 0.1, as Flower's FedAdam). */
  eta: number;
  /** β1 (default 0.9). */
  beta1: number;
  /** β2 (default 0.99). */
  beta2: number;
  /** τ, the adaptivity/stability constant (default 1e-3). */
  tau: number;
}

export const FEDADAM_DEFAULTS: FedAdamParams = { eta: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-3 };

/** The server optimizer's moments; checkpoint them with the weights to resume a job exactly. */
export interface FedAdamState {
  m: Float64Array;
  v: Float64Array;
}

/**
 * One FedAdam server step (Reddi et al. 2021, Algorithm 2): pseudo-gradient Δ = aggregate − current (the mean
 * client change), m ← β1·m + (1−β1)·Δ, v ← β2·v + (1−β2)·Δ², x ← x + η·m / (√v + τ). Pure: returns the new
 * weights and state. `state` null starts with m = v = 0.
 * @throws InfrabaseError('INVALID_ARGUMENT') when the vectors' lengths differ.
 */
export function fedAdamStep(
  current: Float64Array,
  aggregate: Float64Array,
  state: FedAdamState | null,
  params: FedAdamParams = FEDADAM_DEFAULTS,
): { weights: Float64Array; state: FedAdamState } {
  const size = current.length;
  if (aggregate.length !== size || (state && (state.m.length !== size || state.v.length !== size))) {
    throw new InfrabaseError('INVALID_ARGUMENT', `FedAdam vectors differ in length (current has ${size})`);
  }
  const m = state ? Float64Array.from(state.m) : new Float64Array(size);
  const v = state ? Float64Array.from(state.v) : new Float64Array(size);
  const weights = new Float64Array(size);
  const { eta, beta1, beta2, tau } = params;
  for (let p = 0; p < size; p++) {
    const delta = aggregate[p] - current[p];
    m[p] = beta1 * m[p] + (1 - beta1) * delta;
    v[p] = beta2 * v[p] + (1 - beta2) * delta * delta;
    weights[p] = current[p] + (eta * m[p]) / (Math.sqrt(v[p]) + tau);
  }
  return { weights, state: { m, v } };
}
