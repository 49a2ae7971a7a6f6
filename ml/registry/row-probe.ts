import { seededRandom } from '../../engine/index.js';
import {
  decodeOutput,
  isFloatDtype,
  type OrtSession,
  type TensorValue,
  tensorData,
} from '../runtime/index.js';

/** Rows the probe scores together (a fixed batch dimension larger than one is used as it is). */
const PROBE_ROWS = 3;
/** Size given to dynamic dimensions other than the batch dimension. */
const INNER_DIM = 2;

interface ProbeInput {
  readonly name: string;
  readonly dtype: string;
  /** True for the inputs PREDICT stacks rows along (see {@link batchedInputs}). */
  readonly batched: boolean;
  /** Dims of one row (batched) or of the whole tensor (not batched), dynamic ones resolved. */
  readonly dims: number[];
}

/**
 * Decides whether a model scores rows independently: `PROBE_ROWS` rows of seeded random inputs (in each
 * input's dtype and declared shape) are scored together and each alone, and every tensor output's row must
 * come back bit-identical (NaN equal to NaN). A model that mixes rows along the first dimension (softmax or
 * ArgMax over axis 0, Concat along 0, a reduction over the batch, …) gives another answer for some row, or
 * an output without one row per input row.
 *
 * Batched inputs are those PREDICT stacks rows along: a dynamic (symbolic) first dimension, or the fixed first
 * dimension larger than one of a single-input model (scored in chunks of that size; "alone" is then that many
 * copies of the row, as PREDICT pads). Other inputs are the same tensor in every run. Integers are drawn from
 * 1..5 (no division by zero, valid as small indices), floats from [-2, 2), bool from {0, 1}.
 *
 * @returns true when every row matched, or when the model has no batched input (nothing is ever batched);
 *   false when a row differed, an output is not one row per input row, or a probe run failed (onnxruntime
 *   error, string input): such a model is scored one row at a time.
 */
export function probeRowIndependence(session: OrtSession, seed = 0x5eed): boolean {
  const inputs = probeInputs(session);
  if (!inputs) return false;
  if (!inputs.some((i) => i.batched)) return true;
  const single = session.inputs.length === 1 ? session.inputs[0] : undefined;
  const fixed = single && typeof single.shape[0] === 'number' && single.shape[0] > 1 ? single.shape[0] : null;
  const rows = fixed ?? PROBE_ROWS;
  const random = seededRandom(seed);
  const values = new Map(
    inputs.map((i) => {
      const size = i.dims.reduce((a, b) => a * b, 1) * (i.batched ? rows : 1);
      return [i.name, Array.from({ length: size }, () => draw(i.dtype, random))] as const;
    }),
  );
  const outputs = session.outputs.filter((o) => o.isTensor).map((o) => o.name);
  const feed = (row: number | null): Record<string, TensorValue> => {
    const feeds: Record<string, TensorValue> = {};
    for (const i of inputs) {
      const all = values.get(i.name)!;
      let data = all;
      let n = rows;
      if (i.batched && row !== null) {
        const size = all.length / rows;
        n = fixed ?? 1;
        data = Array.from({ length: n }, () => all.slice(row * size, (row + 1) * size)).flat();
      }
      feeds[i.name] = {
        dtype: i.dtype as TensorValue['dtype'],
        dims: i.batched ? [n, ...i.dims] : i.dims,
        data: tensorData(i.dtype, data),
      };
    }
    return feeds;
  };
  try {
    const together = session.runSync(feed(null), outputs);
    for (let row = 0; row < rows; row++) {
      const alone = session.runSync(feed(row), outputs);
      for (const name of outputs) {
        if (!sameRow(together[name], row, rows, alone[name], fixed ?? 1)) return false;
      }
    }
  } catch {
    return false;
  }
  return true;
}

/** The probe's view of the inputs, or null when one cannot be generated (string or unsupported dtype). */
function probeInputs(session: OrtSession): ProbeInput[] | null {
  const single = session.inputs.length === 1;
  const out: ProbeInput[] = [];
  for (const m of session.inputs) {
    if (!m.isTensor || !m.dtype || m.dtype === 'string') return null;
    const first = m.shape[0];
    const batched = m.shape.length >= 1 && (typeof first !== 'number' || (single && first > 1));
    const dims = (batched ? m.shape.slice(1) : m.shape).map((d) =>
      typeof d === 'number' && d >= 0 ? d : INNER_DIM,
    );
    out.push({ name: m.name, dtype: m.dtype, batched, dims });
  }
  return out;
}

function draw(dtype: string, random: () => number): number {
  if (isFloatDtype(dtype)) return Math.round((random() * 4 - 2) * 256) / 256; // exact in float16 too
  if (dtype === 'bool') return random() < 0.5 ? 0 : 1;
  return 1 + Math.floor(random() * 5);
}

/** True when row `row` of `together` (`rows` rows) equals row 0 of `alone` (`aloneRows` rows) element for element. */
function sameRow(
  together: TensorValue,
  row: number,
  rows: number,
  alone: TensorValue,
  aloneRows: number,
): boolean {
  if (together.dims[0] !== rows || alone.dims[0] !== aloneRows) return false;
  const inner = together.dims.slice(1);
  if (inner.length !== alone.dims.length - 1 || inner.some((d, i) => d !== alone.dims[i + 1])) return false;
  const size = inner.reduce((a, b) => a * b, 1);
  const a = decodeOutput(together);
  const b = decodeOutput(alone);
  for (let i = 0; i < size; i++) {
    const x = a[row * size + i];
    const y = b[i];
    if (x !== y && !(Number.isNaN(x) && Number.isNaN(y))) return false; // NaN equals NaN
  }
  return true;
}
