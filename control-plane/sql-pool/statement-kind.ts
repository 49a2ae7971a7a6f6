import { statementSyntaxKind } from '../../engine/index.js';

/** The kind of a user statement, as the `kind` label of the SQL metrics uses it. */
export type StatementKind = 'read' | 'write';

/** The slice of better-sqlite3 needed to ask SQLite whether a statement writes. */
export interface StatementPreparer {
  prepare(sql: string): { readonly readonly: boolean };
}

/**
 * The kind of `sql` from its syntax alone, for statements SQLite never judged (killed at their time limit
 * before answering, or that fail to prepare): `read` for a SELECT, VALUES, compound or EXPLAIN as the SQL
 * parser sees it (the distributed planner's, so the code base has one understanding of a statement), else
 * `write`, also when it does not parse. A guess that errs towards `write`.
 */
export function guessStatementKind(sql: string): StatementKind {
  return statementSyntaxKind(sql) ?? 'write';
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
