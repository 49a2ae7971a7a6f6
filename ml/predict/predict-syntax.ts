import { type FunctionCallSyntax, type StatementSyntax, statementSyntax } from '../../engine/index.js';
import { parseModelRef } from '../registry/index.js';

/** The PREDICT functions, by lower-cased name, with the kind number the native extension takes. */
export const PREDICT_FUNCTIONS: ReadonlyMap<string, number> = new Map([
  ['predict', 0],
  ['predict_proba', 1],
  ['predict_json', 2],
]);

/** A statement that calls PREDICT, PREDICT_PROBA or PREDICT_JSON, with its syntax and those calls. */
export interface PredictSyntax {
  readonly syntax: StatementSyntax;
  /** The PREDICT calls, in source order (an outer call before the calls in its arguments). */
  readonly calls: readonly FunctionCallSyntax[];
}

/**
 * The PREDICT calls of `sql`, from the engine's SQL parser ({@link statementSyntax}); undefined when the
 * statement calls none or is not one statement the parser accepts (it then runs as it is, row by row, and
 * SQLite reports on it). A text without the letters `predict` in any case cannot call one: it is answered
 * without parsing, so statements that never score pay nothing.
 */
export function predictSyntax(sql: string): PredictSyntax | undefined {
  if (!sql.toLowerCase().includes('predict')) return undefined;
  const syntax = statementSyntax(sql);
  if (!syntax) return undefined;
  const calls = syntax.calls.filter((c) => PREDICT_FUNCTIONS.has(c.name));
  return calls.length > 0 ? { syntax, calls } : undefined;
}

/**
 * The model names a statement's PREDICT calls name as a string literal first argument (`'iris'` and
 * `'iris@2'` both name `iris`), each once; [] when it names none.
 */
export function predictModelNames(sql: string): string[] {
  const names = new Set<string>();
  for (const call of predictSyntax(sql)?.calls ?? []) {
    const ref = call.literalArgs[0];
    try {
      if (ref !== undefined) names.add(parseModelRef(ref).name);
    } catch {
      // not a model reference: the call reports it where it runs
    }
  }
  return [...names];
}
