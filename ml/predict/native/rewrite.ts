/** The native function a rewritten PREDICT call becomes (see batch.c): `ib_batch_defer` or `ib_batch_call`. */
export type NativeFunction = 'defer' | 'call';

/** The kind argument the native functions take: 0 = PREDICT, 1 = PREDICT_PROBA. */
export const NATIVE_KINDS = ['predict', 'proba'] as const;

const WORD = /[A-Za-z0-9_$\u0080-\uffff]/;

/**
 * `sql` with every `PREDICT(` / `PREDICT_PROBA(` call (any case, outside string literals, quoted identifiers
 * and comments) turned into `ib_batch_<fn>(<kind>, `, e.g. `PREDICT_PROBA('lr', a, b)` →
 * `ib_batch_call(1, 'lr', a, b)`. Null when the statement calls PREDICT_JSON or a PREDICT without
 * arguments, or quotes are unbalanced: those statements take the JavaScript batch path.
 */
export function rewritePredictCalls(sql: string, fn: NativeFunction): string | null {
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    if (ch === "'" || ch === '"' || ch === '`' || ch === '[') {
      const close = ch === '[' ? ']' : ch;
      let j = i + 1;
      for (;;) {
        j = sql.indexOf(close, j);
        if (j < 0) return null;
        if (close !== ']' && sql[j + 1] === close)
          j += 2; // '' or "" inside a literal
        else break;
      }
      i = j + 1;
    } else if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (WORD.test(ch)) {
      let j = i + 1;
      while (j < sql.length && WORD.test(sql[j])) j++;
      const word = sql.slice(i, j).toLowerCase();
      const kind = word === 'predict' ? 0 : word === 'predict_proba' ? 1 : word === 'predict_json' ? 2 : -1;
      if (kind >= 0) {
        const open = skipSpace(sql, j);
        if (sql[open] === '(') {
          if (kind === 2 || sql[skipSpace(sql, open + 1)] === ')') return null;
          out += `${sql.slice(copied, i)}ib_batch_${fn}(${kind}, `;
          copied = open + 1;
        }
      }
      i = j;
    } else {
      i++;
    }
  }
  return out + sql.slice(copied);
}

/** The index of the first character at or after `i` that is not whitespace or a comment. */
function skipSpace(sql: string, i: number): number {
  for (;;) {
    while (i < sql.length && /\s/.test(sql[i])) i++;
    if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else return i;
  }
}
