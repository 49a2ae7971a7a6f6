import { InfrabaseError } from '../../engine/index.js';
import type { Dtype } from '../onnx/index.js';
import { describeExpected, type InputLayout, type PredictPlan } from '../registry/index.js';
import { parseElement, type TensorValue, tensorData } from '../runtime/index.js';

/** Feeds built from one PREDICT_JSON (or PREDICT with a JSON object) call. */
export interface JsonFeeds {
  readonly feeds: Record<string, TensorValue>;
  /**
   * Rows along the first dimension when the call is one row (outputs with that first dimension are answered
   * by their first row, without it), or null when a batched input was given as a whole tensor (outputs are
   * answered whole).
   */
  readonly batch: number | null;
}

/** A value as given: its elements in row-major order and, when it was a whole tensor, its dims. */
interface Given {
  readonly elements: unknown[];
  /** Dims of nested arrays (rectangular) or of `{"shape", "data"}`; [] for a scalar. */
  readonly dims: number[];
  /** True for `{"shape": [...], "data": [...]}`. */
  readonly explicit: boolean;
}

/**
 * Builds feeds from a JSON object keyed by input name. Each input's value is either **one row** or a **whole
 * tensor**:
 * - `{"shape": [d0, …], "data": [...]}` is always a whole tensor, as is an array nested as deep as the input's
 *   rank (`[[1, 2], [3, 4]]` for a `[N, 2]` input: 2 rows);
 * - anything shallower (a number, a flat array) is one row: its element count must be the row size (elements
 *   after the first dimension). A batched input (dynamic first dimension) gets `[1, …]`; an input with a fixed
 *   first dimension d0 > 1 gets that row and d0 − 1 copies of it (never zeros). An input whose whole declared
 *   size is given flat (`[1, 2, 3, 4, 5, 6]` for a `[2, 3]` weight) is that tensor.
 *
 * Elements follow {@link parseElement}: numbers, numeric text, `"NaN"`/`"Infinity"`/`"-Infinity"` for floats,
 * exact integer text for int64/uint64, true/false for bool.
 *
 * @returns null when some value (or element) is JSON null: NULL in, NULL out.
 * @throws InfrabaseError `INVALID_ARGUMENT` for invalid JSON, a missing input, a ragged array, a bad shape, an
 *   element the input's type cannot take, or a row of the wrong size.
 */
export function jsonFeeds(plan: PredictPlan, text: string): JsonFeeds | null {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    obj = undefined;
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `${plan.label}: ${JSON.stringify(text.slice(0, 80))} is not a JSON object; expected ${describeExpected(plan)}`,
    );
  }
  const names = plan.inputs.map((i) => i.name);
  const feeds: Record<string, TensorValue> = {};
  let wholeBatched = false;
  let batchedRow = false;
  let fixedRows: number | null = null;
  for (const input of plan.inputs) {
    const value = (obj as Record<string, unknown>)[input.name];
    if (value === undefined) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `${plan.label}: JSON has no key '${input.name}'; expected keys ${names.map((n) => `'${n}'`).join(', ')}`,
      );
    }
    const given = readGiven(value, `${plan.label}: input '${input.name}'`);
    if (given === null) return null;
    const what = `${plan.label}: input '${input.name}'`;
    const elements = given.elements.map((v, i) => parseElement(v, input.dtype, `${what} element ${i}`));
    const whole = given.explicit || input.shape.length === 0 || given.dims.length === input.shape.length;
    let dims: number[];
    let data = elements;
    if (whole) {
      if (input.shape.length === 0 && !given.explicit) {
        if (elements.length !== 1) {
          throw new InfrabaseError(
            'INVALID_ARGUMENT',
            `${what} is a scalar (rank 0) and got ${elements.length} values`,
          );
        }
        dims = [];
      } else dims = given.dims;
      if (input.batched) wholeBatched = true;
    } else {
      const rowDims = rowDimsOf(input, elements.length);
      const fullSize = fullSizeOf(input);
      if (rowDims) {
        const rows = input.batched ? 1 : (input.fixedBatch ?? 1);
        dims = [rows, ...rowDims];
        if (rows > 1) data = Array.from({ length: rows }, () => elements).flat();
        if (input.batched) batchedRow = true;
        else fixedRows ??= rows;
      } else if (fullSize !== null && elements.length === fullSize) {
        dims = input.shape as number[];
      } else {
        throw new InfrabaseError(
          'INVALID_ARGUMENT',
          `${what} got ${elements.length} values; expected one row of ${input.rowSize ?? 'its'} values, or a whole tensor as nested arrays or {"shape": [...], "data": [...]} (${input.dtype} [${input.shape.join(',')}])`,
        );
      }
    }
    feeds[input.name] = { dtype: input.dtype as Dtype, dims, data: tensorData(input.dtype, data) };
  }
  const batch = wholeBatched ? null : batchedRow ? 1 : fixedRows;
  return { feeds, batch };
}

/** Dims of one row of `input` holding `count` elements (one dynamic inner dim is inferred), or null. */
function rowDimsOf(input: InputLayout, count: number): number[] | null {
  if (!input.hasBatchDim) return null;
  const inner = input.shape.slice(1);
  const dynamic = inner.filter((d) => typeof d !== 'number').length;
  const fixed = (inner.filter((d) => typeof d === 'number') as number[]).reduce((a, b) => a * b, 1);
  if (dynamic === 0) return count === fixed ? (inner as number[]) : null;
  if (dynamic > 1 || fixed === 0 || count % fixed !== 0) return null;
  return inner.map((d) => (typeof d === 'number' ? d : count / fixed));
}

/** Elements of the whole declared tensor, or null when a dimension is dynamic. */
function fullSizeOf(input: InputLayout): number | null {
  if (!input.shape.every((d) => typeof d === 'number')) return null;
  return (input.shape as number[]).reduce((a, b) => a * b, 1);
}

/** Reads a JSON value as a tensor; null when it holds a JSON null. */
function readGiven(value: unknown, what: string): Given | null {
  if (value === null) return null;
  if (typeof value === 'object' && !Array.isArray(value)) {
    const { shape, data } = value as { shape?: unknown; data?: unknown };
    const keys = Object.keys(value);
    if (
      !Array.isArray(shape) ||
      !Array.isArray(data) ||
      keys.some((k) => k !== 'shape' && k !== 'data') ||
      !shape.every((d) => Number.isSafeInteger(d) && d >= 0)
    ) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `${what} is ${JSON.stringify(value).slice(0, 80)}; a tensor object is {"shape": [non-negative integers], "data": [elements]}`,
      );
    }
    const elements = data.flat(Number.POSITIVE_INFINITY);
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    if (elements.length !== size) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `${what} has shape [${shape.join(',')}] (${size} elements) but ${elements.length} data elements`,
      );
    }
    if (elements.some((e) => e === null)) return null;
    return { elements, dims: shape as number[], explicit: true };
  }
  const dims: number[] = [];
  let level: unknown = value;
  while (Array.isArray(level)) {
    dims.push(level.length);
    level = level[0];
  }
  const elements: unknown[] = [];
  let nulls = false;
  const walk = (v: unknown, depth: number): void => {
    if (depth === dims.length) {
      if (Array.isArray(v)) throw ragged(what);
      if (v === null) nulls = true;
      elements.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== dims[depth]) throw ragged(what);
    for (const item of v) walk(item, depth + 1);
  };
  walk(value, 0);
  return nulls ? null : { elements, dims, explicit: false };
}

function ragged(what: string): InfrabaseError {
  return new InfrabaseError(
    'INVALID_ARGUMENT',
    `${what} is a ragged array; nested arrays must be rectangular (every row the same length)`,
  );
}
