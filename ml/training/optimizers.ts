import { InfrabaseError } from '../../engine/index.js';

/** The local optimizers of `sys_training_jobs.optimizer`. */
export type OptimizerName = 'sgd' | 'adam';

export interface OptimizerOptions {
  name: OptimizerName;
  /** Step size η (> 0). */
  learningRate: number;
  /** SGD only: heavy-ball momentum β in [0, 1); 0 is plain SGD. */
  momentum?: number;
  /** Adam only: β1, β2 and ε (defaults 0.9, 0.999, 1e-8; Kingma & Ba 2015, arXiv:1412.6980). */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** An optimizer keeps its own state (velocity, moments) and updates weights in place. */
export interface Optimizer {
  step(weights: Float64Array, grad: Float64Array): void;
}

/**
 * Creates an optimizer for vectors of `size` parameters.
 * @throws InfrabaseError('INVALID_ARGUMENT') for an unknown name, a non-positive learning rate or momentum
 *   outside [0, 1).
 */
export function createOptimizer(options: OptimizerOptions, size: number): Optimizer {
  const { name, learningRate: lr } = options;
  if (!(lr > 0) || !Number.isFinite(lr)) {
    throw new InfrabaseError('INVALID_ARGUMENT', `learning rate must be a finite number > 0, got ${lr}`);
  }
  if (name === 'sgd') {
    const beta = options.momentum ?? 0;
    if (!(beta >= 0 && beta < 1)) {
      throw new InfrabaseError('INVALID_ARGUMENT', `momentum must be in [0, 1), got ${beta}`);
    }
    const velocity = new Float64Array(size);
    return {
      step(w, g) {
        for (let p = 0; p < size; p++) {
          velocity[p] = beta * velocity[p] + g[p];
          w[p] -= lr * velocity[p];
        }
      },
    };
  }
  if (name === 'adam') {
    const b1 = options.beta1 ?? 0.9;
    const b2 = options.beta2 ?? 0.999;
    const eps = options.epsilon ?? 1e-8;
    const m = new Float64Array(size);
    const v = new Float64Array(size);
    let t = 0;
    return {
      step(w, g) {
        t++;
        const c1 = 1 - b1 ** t;
        const c2 = 1 - b2 ** t;
        for (let p = 0; p < size; p++) {
          m[p] = b1 * m[p] + (1 - b1) * g[p];
          v[p] = b2 * v[p] + (1 - b2) * g[p] * g[p];
          w[p] -= (lr * (m[p] / c1)) / (Math.sqrt(v[p] / c2) + eps);
        }
      },
    };
  }
  throw new InfrabaseError('INVALID_ARGUMENT', `optimizer '${String(name)}' is unknown; accepted: sgd, adam`);
}
