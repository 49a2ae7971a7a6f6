import { describe, expect, it } from 'vitest';
import { guessStatementKind } from '../../../engine/index.js';

describe('guessStatementKind reads the statement with the SQL parser', () => {
  it.each([
    'SELECT 1',
    'WITH x AS (SELECT 1) SELECT * FROM x',
    'VALUES (1), (2)',
    'SELECT 1 UNION ALL SELECT 2',
    "SELECT 'delete from t' AS note",
    'EXPLAIN SELECT * FROM sys_nodes',
  ])('%s is a read', (sql) => {
    expect(guessStatementKind(sql)).toBe('read');
  });

  it.each([
    "INSERT INTO sys_nodes (id) VALUES ('n')",
    'WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x',
    'DELETE FROM t',
    'CREATE TABLE t (a)',
    'PRAGMA user_version = 3',
    'SELECT 1; DELETE FROM t',
    'SELEC 1',
  ])('%s is a write (or not one statement the parser accepts)', (sql) => {
    expect(guessStatementKind(sql)).toBe('write');
  });
});
