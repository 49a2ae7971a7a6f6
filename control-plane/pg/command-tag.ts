import type { QueryResult } from '../../engine/index.js';

/**
 * The CommandComplete tag of a statement (https://www.postgresql.org/docs/current/protocol-message-formats.html,
 * CommandComplete) from its parsed `command` (see `pgStatementSyntax`): `SELECT n` for a read, `INSERT 0 n` /
 * `UPDATE n` / `DELETE n` with the rows changed (or returned, with RETURNING), the command itself for DDL
 * (`CREATE TABLE`).
 */
export function commandTag(command: string, result: QueryResult): string {
  const returned = result.columns.length > 0;
  const count = returned ? result.rows.length : result.changes;
  switch (command) {
    case 'INSERT':
      return `INSERT 0 ${count}`;
    case 'UPDATE':
    case 'DELETE':
      return `${command} ${count}`;
    case 'SELECT':
      return `SELECT ${count}`;
    default:
      if (returned) return `SELECT ${count}`;
      return command || 'SELECT 0';
  }
}
