/** The kind of a user statement, as the `kind` label of the SQL metrics uses it. */
export type StatementKind = 'read' | 'write';

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
