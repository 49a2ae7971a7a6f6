import { invalid } from './api-error.js';

/** One comparison of a Compute list `filter`: `labels.team = "ml"`, `status != TERMINATED`, `name = x`. */
export interface FilterTerm {
  field: string;
  negate: boolean;
  value: string;
}

/**
 * Parses the subset of the Compute API filter syntax the providers use: terms `FIELD = VALUE` or
 * `FIELD != VALUE` (also `eq` / `ne`), values optionally quoted, joined by `AND` or whitespace, each
 * optionally in parentheses. Anything else is rejected as the API does (HTTP 400, reason `invalid`).
 */
export function parseFilter(filter: string): FilterTerm[] {
  const terms: FilterTerm[] = [];
  const re = /\(?\s*([a-zA-Z][\w.-]*)\s*(!=|=|\beq\b|\bne\b)\s*("([^"]*)"|[^\s()]+)\s*\)?\s*(?:AND\s+)?/y;
  let pos = 0;
  const text = filter.trim();
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw invalid('filter', filter, 'Expected terms like labels.KEY = "VALUE" joined by AND.');
    terms.push({ field: m[1], negate: m[2] === '!=' || m[2] === 'ne', value: m[4] ?? m[3] });
    pos = re.lastIndex;
  }
  return terms;
}

/** Whether a resource's fields (labels under `labels.KEY`) satisfy every term. */
export function matchesFilter(
  terms: readonly FilterTerm[],
  fieldOf: (field: string) => string | undefined,
): boolean {
  return terms.every((t) => (fieldOf(t.field) === t.value) !== t.negate);
}
