import type { QueryResult } from '../../engine/index.js';
import type { Token } from './sql-lexer.js';
import { leadingKeyword } from './sql-lexer.js';

/**
 * The CommandComplete tag of a statement (https://www.postgresql.org/docs/current/protocol-message-formats.html,
 * CommandComplete): `SELECT n` for a read, `INSERT 0 n` / `UPDATE n` / `DELETE n` with the rows changed (or
 * returned, with RETURNING), the statement's leading keywords for DDL (`CREATE TABLE`).
 */
export function commandTag(tokens: readonly Token[], result: QueryResult): string {
  const keyword = leadingKeyword(tokens);
  const returned = result.columns.length > 0;
  const count = returned ? result.rows.length : result.changes;
  switch (keyword) {
    case 'INSERT':
    case 'REPLACE':
      return `INSERT 0 ${count}`;
    case 'UPDATE':
    case 'DELETE':
      return `${keyword} ${count}`;
    case 'CREATE':
    case 'DROP':
    case 'ALTER': {
      const object = tokens.find((t, i) => i > 0 && t.kind === 'word' && OBJECTS.has(t.text));
      return object ? `${keyword} ${object.text}` : keyword;
    }
    default:
      if (returned || keyword === 'SELECT' || keyword === 'WITH' || keyword === 'VALUES')
        return `SELECT ${count}`;
      return keyword || 'SELECT 0';
  }
}

const OBJECTS: ReadonlySet<string> = new Set(['TABLE', 'INDEX', 'VIEW', 'TRIGGER']);
