/**
 * A lexer for the few things the Postgres front end needs to know of a statement before SQLite sees it: where
 * one statement of a multi-statement Query message ends, its leading keyword (for the CommandComplete tag and
 * to route SET/SHOW/BEGIN), and the names it mentions (to route catalog queries). It tokenizes SQLite's
 * lexical grammar (strings, quoted identifiers, comments: https://sqlite.org/lang_expr.html); it decides
 * nothing about permissions, which stay SQLite's (authorizer, `Statement.readonly`).
 */

export interface Token {
  readonly kind: 'word' | 'quoted' | 'string' | 'number' | 'param' | 'punct';
  /** Words upper-cased; quoted identifiers unquoted; strings unquoted. */
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** Tokens of `sql`, without whitespace and comments. An unterminated string or comment ends at the end. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const eol = sql.indexOf('\n', i);
      i = eol < 0 ? n : eol + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
    } else if (c === "'" || c === '"' || c === '`') {
      const start = i;
      let text = '';
      i++;
      while (i < n) {
        if (sql[i] === c) {
          if (sql[i + 1] === c) {
            text += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += sql[i++];
      }
      tokens.push({ kind: c === "'" ? 'string' : 'quoted', text, start, end: i });
    } else if (c === '[') {
      const close = sql.indexOf(']', i);
      const end = close < 0 ? n : close + 1;
      tokens.push({ kind: 'quoted', text: sql.slice(i + 1, close < 0 ? n : close), start: i, end });
      i = end;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      const start = i;
      while (i < n && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[i])) i++;
      tokens.push({ kind: 'word', text: sql.slice(start, i).toUpperCase(), start, end: i });
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const start = i;
      while (i < n && /[0-9A-Za-z_.]/.test(sql[i])) i++;
      tokens.push({ kind: 'number', text: sql.slice(start, i), start, end: i });
    } else if ((c === '$' || c === '?' || c === ':' || c === '@') && /[0-9A-Za-z_]/.test(sql[i + 1] ?? '')) {
      const start = i++;
      while (i < n && /[0-9A-Za-z_]/.test(sql[i])) i++;
      tokens.push({ kind: 'param', text: sql.slice(start, i), start, end: i });
    } else {
      tokens.push({ kind: 'punct', text: c, start: i, end: i + 1 });
      i++;
    }
  }
  return tokens;
}

/**
 * Splits the text of a simple Query message into statements at `;`, outside strings, comments and the
 * BEGIN … END body of a CREATE TRIGGER. Statements with no tokens are dropped; an empty list means an empty
 * query.
 */
export function splitStatements(sql: string): string[] {
  const tokens = tokenize(sql);
  const out: string[] = [];
  let first = -1;
  let trigger = false;
  let depth = 0;
  for (let t = 0; t < tokens.length; t++) {
    const tok = tokens[t];
    if (first < 0 && !(tok.kind === 'punct' && tok.text === ';')) first = t;
    if (tok.kind === 'word') {
      if (tok.text === 'TRIGGER' && first >= 0 && tokens[first].text === 'CREATE') trigger = true;
      else if (trigger && (tok.text === 'BEGIN' || tok.text === 'CASE')) depth++;
      else if (trigger && tok.text === 'END' && depth > 0) depth--;
    }
    if (tok.kind === 'punct' && tok.text === ';' && depth === 0) {
      if (first >= 0) out.push(sql.slice(tokens[first].start, tok.start));
      first = -1;
      trigger = false;
    }
  }
  if (first >= 0) out.push(sql.slice(tokens[first].start).trimEnd());
  return out;
}

/** The first keyword of a statement (upper-case), skipping opening parentheses; '' when there is none. */
export function leadingKeyword(tokens: readonly Token[]): string {
  for (const t of tokens) {
    if (t.kind === 'punct' && t.text === '(') continue;
    return t.kind === 'word' ? t.text : '';
  }
  return '';
}
