import { InfrabaseError } from '../../engine/index.js';
import type { ModelSpec } from './model-spec.js';

/**
 * A shard's training rows as dense matrices.
 * - `X`: Float64Array [n, d], row-major (X[r·d + j] is feature j of row r).
 * - `y`: Float64Array [n]: 0/1 for binary, the class index 0…C−1 for multiclass, the target for regression.
 */
export interface Rows {
  readonly X: Float64Array;
  readonly y: Float64Array;
  readonly n: number;
  readonly d: number;
}

/**
 * Checks that `rows` fits `spec`: sizes agree, features are finite, labels are valid for the head.
 * @throws InfrabaseError('INVALID_ARGUMENT') naming the first offending row and value.
 */
export function validateRows(spec: ModelSpec, rows: Rows): void {
  const { X, y, n, d } = rows;
  if (d !== spec.features) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `rows have ${d} features but the model takes ${spec.features}`,
    );
  }
  if (X.length !== n * d || y.length !== n) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `rows need X of length n·d = ${n * d} and y of length n = ${n}, got ${X.length} and ${y.length}`,
    );
  }
  for (let i = 0; i < X.length; i++) {
    if (!Number.isFinite(X[i])) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `feature ${i % d} of row ${Math.floor(i / d)} is ${X[i]}; features must be finite numbers`,
      );
    }
  }
  for (let r = 0; r < n; r++) {
    const v = y[r];
    const ok =
      spec.head === 'regression'
        ? Number.isFinite(v)
        : spec.head === 'binary'
          ? v === 0 || v === 1
          : Number.isInteger(v) && v >= 0 && v < spec.classes;
    if (!ok) {
      const accepted =
        spec.head === 'regression'
          ? 'a finite number'
          : spec.head === 'binary'
            ? '0 or 1'
            : `0…${spec.classes - 1}`;
      throw new InfrabaseError('INVALID_ARGUMENT', `label of row ${r} is ${v}; accepted: ${accepted}`);
    }
  }
}
