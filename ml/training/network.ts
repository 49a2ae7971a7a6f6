import { layerSlices, type ModelSpec, outputWidth } from './model-spec.js';
import type { Rows } from './rows.js';

/**
 * Forward pass and analytic gradients of the dense networks behind every model type, on the flat parameter
 * layout of {@link layerSlices}. Hidden layers use ReLU; the head is a sigmoid (binary: one logit for class 1),
 * a softmax (multiclass) or the identity (regression).
 *
 * Losses, averaged over the rows of a batch:
 * - binary: log-loss −[y·log p + (1−y)·log(1−p)], computed stably from the logit;
 * - multiclass: cross-entropy −log p_y;
 * - regression: squared error (ŷ − y)² (so the loss is the MSE).
 * Regularisers added once per batch: L2 `λ/2·‖W‖²` over the weight matrices (biases are not penalised) and
 * FedProx's proximal term `μ/2·‖w − w_global‖²` over the whole vector (Li et al. 2020, arXiv:1812.06127).
 */

export interface Regularization {
  /** λ of the L2 penalty on weight matrices; 0 or undefined disables it. */
  l2?: number;
  /** μ of FedProx's proximal term; 0 or undefined disables it. */
  mu?: number;
  /** w_global of the proximal term (required when μ > 0); same length as the weights. */
  anchor?: Float64Array;
}

/** Scratch buffers for one row's activations, reused across rows. */
interface Workspace {
  /** acts[l] is the input of layer l (acts[0] is the row itself); acts[L] is the last layer's pre-activation. */
  acts: Float64Array[];
  deltas: Float64Array[];
}

function workspace(spec: ModelSpec): Workspace {
  const widths = [spec.features, ...spec.hidden, outputWidth(spec)];
  return {
    acts: widths.map((w) => new Float64Array(w)),
    deltas: widths.map((w) => new Float64Array(w)),
  };
}

/** Runs one row through the network, leaving the last layer's pre-activation (logits) in acts[L]. */
function forwardRow(spec: ModelSpec, w: Float64Array, X: Float64Array, row: number, ws: Workspace): void {
  const slices = layerSlices(spec);
  const a0 = ws.acts[0];
  const d = spec.features;
  for (let j = 0; j < d; j++) a0[j] = X[row * d + j];
  for (let l = 0; l < slices.length; l++) {
    const { inputs, outputs, weightOffset, biasOffset } = slices[l];
    const input = ws.acts[l];
    const out = ws.acts[l + 1];
    const hidden = l + 1 < slices.length;
    for (let o = 0; o < outputs; o++) {
      let s = w[biasOffset + o];
      const base = weightOffset + o * inputs;
      for (let i = 0; i < inputs; i++) s += w[base + i] * input[i];
      out[o] = hidden && s < 0 ? 0 : s;
    }
  }
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Softmax of `z` in place; returns log Σ exp(z) for the cross-entropy. */
function softmaxInPlace(z: Float64Array): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < z.length; k++) if (z[k] > max) max = z[k];
  let sum = 0;
  for (let k = 0; k < z.length; k++) sum += Math.exp(z[k] - max);
  const lse = max + Math.log(sum);
  for (let k = 0; k < z.length; k++) z[k] = Math.exp(z[k] - lse);
  return lse;
}

/**
 * Model outputs for every row: Float64Array [n, K] with K = 1 for binary (P(class 1)) and regression (the
 * value), K = C for multiclass (class probabilities).
 */
export function predictOutputs(spec: ModelSpec, w: Float64Array, rows: Pick<Rows, 'X' | 'n'>): Float64Array {
  const k = outputWidth(spec);
  const out = new Float64Array(rows.n * k);
  const ws = workspace(spec);
  const logits = ws.acts[ws.acts.length - 1];
  for (let r = 0; r < rows.n; r++) {
    forwardRow(spec, w, rows.X, r, ws);
    if (spec.head === 'binary') out[r] = sigmoid(logits[0]);
    else if (spec.head === 'regression') out[r] = logits[0];
    else {
      softmaxInPlace(logits);
      out.set(logits, r * k);
    }
  }
  return out;
}

/** Predicted labels [n] for classifiers (P > 0.5 for binary, arg-max for multiclass; ties go to the lower class). */
export function predictLabels(spec: ModelSpec, w: Float64Array, rows: Pick<Rows, 'X' | 'n'>): Float64Array {
  const out = predictOutputs(spec, w, rows);
  const k = outputWidth(spec);
  const labels = new Float64Array(rows.n);
  for (let r = 0; r < rows.n; r++) {
    if (spec.head === 'binary') labels[r] = out[r] > 0.5 ? 1 : 0;
    else if (spec.head === 'regression') labels[r] = out[r];
    else {
      let best = 0;
      for (let c = 1; c < k; c++) if (out[r * k + c] > out[r * k + best]) best = c;
      labels[r] = best;
    }
  }
  return labels;
}

/** Adds the L2 and proximal terms for `w` to `grad` (if given) and returns their value. */
function regularize(spec: ModelSpec, w: Float64Array, reg: Regularization, grad?: Float64Array): number {
  let loss = 0;
  const l2 = reg.l2 ?? 0;
  if (l2 > 0) {
    for (const { inputs, outputs, weightOffset } of layerSlices(spec)) {
      for (let p = weightOffset; p < weightOffset + inputs * outputs; p++) {
        loss += 0.5 * l2 * w[p] * w[p];
        if (grad) grad[p] += l2 * w[p];
      }
    }
  }
  const mu = reg.mu ?? 0;
  if (mu > 0 && reg.anchor) {
    for (let p = 0; p < w.length; p++) {
      const diff = w[p] - reg.anchor[p];
      loss += 0.5 * mu * diff * diff;
      if (grad) grad[p] += mu * diff;
    }
  }
  return loss;
}

/**
 * Mean loss over `indices` (all rows when omitted) plus regularisers, and its gradient written into `grad`
 * (same length as `w`, overwritten).
 */
export function lossAndGradient(
  spec: ModelSpec,
  w: Float64Array,
  rows: Rows,
  grad: Float64Array,
  reg: Regularization = {},
  indices?: ArrayLike<number>,
): number {
  grad.fill(0);
  const slices = layerSlices(spec);
  const ws = workspace(spec);
  const L = slices.length;
  const count = indices ? indices.length : rows.n;
  let loss = 0;
  for (let b = 0; b < count; b++) {
    const r = indices ? indices[b] : b;
    forwardRow(spec, w, rows.X, r, ws);
    const z = ws.acts[L];
    const delta = ws.deltas[L];
    const y = rows.y[r];
    if (spec.head === 'binary') {
      const zi = z[0];
      loss += Math.max(zi, 0) - y * zi + Math.log1p(Math.exp(-Math.abs(zi)));
      delta[0] = sigmoid(zi) - y;
    } else if (spec.head === 'regression') {
      const e = z[0] - y;
      loss += e * e;
      delta[0] = 2 * e;
    } else {
      const logitOfLabel = z[y];
      loss += softmaxInPlace(z) - logitOfLabel; // −log p_y = log Σ exp(z) − z_y; z now holds probabilities
      for (let k = 0; k < z.length; k++) delta[k] = z[k] - (k === y ? 1 : 0);
    }
    // Backpropagate delta (dLoss/dPreactivation) through the layers.
    for (let l = L - 1; l >= 0; l--) {
      const { inputs, outputs, weightOffset, biasOffset } = slices[l];
      const input = ws.acts[l];
      const dOut = ws.deltas[l + 1];
      const dIn = ws.deltas[l];
      if (l > 0) dIn.fill(0);
      for (let o = 0; o < outputs; o++) {
        const g = dOut[o];
        if (g === 0) continue;
        grad[biasOffset + o] += g;
        const base = weightOffset + o * inputs;
        for (let i = 0; i < inputs; i++) {
          grad[base + i] += g * input[i];
          if (l > 0) dIn[i] += g * w[base + i];
        }
      }
      // ReLU of the hidden layer l: its output acts[l] is zero where the unit was inactive.
      if (l > 0) for (let i = 0; i < inputs; i++) if (input[i] <= 0) dIn[i] = 0;
    }
  }
  const scale = count > 0 ? 1 / count : 0;
  for (let p = 0; p < grad.length; p++) grad[p] *= scale;
  return loss * scale + regularize(spec, w, reg, grad);
}

/** Mean loss (with the regularisers in `reg`) without a gradient. */
export function meanLoss(spec: ModelSpec, w: Float64Array, rows: Rows, reg: Regularization = {}): number {
  return lossAndGradient(spec, w, rows, new Float64Array(w.length), reg);
}
