import type { FunctionCallSyntax } from '../../../engine/index.js';
import { PREDICT_FUNCTIONS } from '../predict-syntax.js';

/** The native function a rewritten PREDICT call becomes (see batch.c): `ib_batch_defer` or `ib_batch_call`. */
export type NativeFunction = 'defer' | 'call';

/** The kind argument the native functions take: 0 = PREDICT, 1 = PREDICT_PROBA. */
export const NATIVE_KINDS = ['predict', 'proba'] as const;

/**
 * `sql` with each of its PREDICT `calls` (from the SQL parser, see `predictSyntax`) turned into
 * `ib_batch_<fn>(<kind>, `, from the call's first character through its opening parenthesis, e.g.
 * `PREDICT_PROBA('lr', a, b)` → `ib_batch_call(1, 'lr', a, b)`. Null when the statement calls PREDICT_JSON or a
 * PREDICT without arguments: those statements take the JavaScript batch path.
 */
export function rewritePredictCalls(
  sql: string,
  calls: readonly FunctionCallSyntax[],
  fn: NativeFunction,
): string | null {
  let out = '';
  let copied = 0;
  for (const call of [...calls].sort((a, b) => a.range[0] - b.range[0])) {
    const kind = PREDICT_FUNCTIONS.get(call.name);
    if (kind === undefined) continue;
    if (kind === 2 || call.argCount === 0) return null;
    out += `${sql.slice(copied, call.range[0])}ib_batch_${fn}(${kind}, `;
    copied = call.open + 1;
  }
  return out + sql.slice(copied);
}
