import { statementSyntaxKind } from '../planner/index.js';

/** The kind of a user statement, as the `kind` label of the SQL metrics uses it. */
export type StatementKind = 'read' | 'write';

/**
 * The kind of `sql` from its syntax alone, for statements SQLite never judged (killed at their time limit
 * before answering, or that fail to prepare): `read` for a SELECT, VALUES, compound or EXPLAIN as the SQL
 * parser sees it (the distributed planner's, so the code base has one understanding of a statement), else
 * `write`, also when it does not parse. A guess that errs towards `write`.
 */
export function guessStatementKind(sql: string): StatementKind {
  return statementSyntaxKind(sql) ?? 'write';
}
