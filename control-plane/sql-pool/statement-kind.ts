/** The kind of a user statement, as the `kind` label of the SQL metrics uses it. */
export type StatementKind = 'read' | 'write';

/** The slice of better-sqlite3 needed to ask SQLite whether a statement writes. */
export interface StatementPreparer {
  prepare(sql: string): { readonly readonly: boolean };
}

const WRITE_WORD =
  /\b(?:insert|update|delete|replace|create|drop|alter|attach|detach|vacuum|reindex|analyze)\b/i;
const READ_START = /^\s*(?:select|with|values|explain)\b/i;

/**
 * The kind of `sql` from its text alone, for statements SQLite never judged (killed at their time limit
 * before answering, or that fail to prepare): `read` when it starts with SELECT/WITH/VALUES/EXPLAIN and names
 * no writing keyword, else `write`. A guess that errs towards `write`.
 */
export function guessStatementKind(sql: string): StatementKind {
  return READ_START.test(sql) && !WRITE_WORD.test(sql) ? 'read' : 'write';
}

/**
 * The kind of `sql` as SQLite sees it (`Statement.readonly`: the statement does not write the database), or
 * the text guess when it does not prepare. Costs one extra prepare (microseconds for a typical statement).
 */
export function statementKind(db: StatementPreparer, sql: string): StatementKind {
  try {
    return db.prepare(sql).readonly ? 'read' : 'write';
  } catch {
    return guessStatementKind(sql);
  }
}
