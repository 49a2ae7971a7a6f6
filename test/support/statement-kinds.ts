import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Database } from '../../engine/index.js';

/**
 * What the guard must answer a statement with: `ok` (it runs, or fails on its own merits), `state` (refused to
 * every role: `INVALID_ARGUMENT`), `write` (refused to the read role: `PERMISSION_DENIED`), `any` (no claim).
 */
export type Expect = 'ok' | 'state' | 'write' | 'any';

export interface GeneratedStatement {
  readonly sql: string;
  /** The authorizer action (sqlite3.h name without `SQLITE_`) or `PRAGMA` form it stands for. */
  readonly kind: string;
  readonly admin: Expect;
  readonly read: Expect;
}

/** The authorizer action codes of the SQLite better-sqlite3 links, read from its sqlite3.h: name → code. */
export function authorizerActions(): Map<string, number> {
  const header = join(
    dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')),
    'deps',
    'sqlite3',
    'sqlite3.h',
  );
  const text = readFileSync(header, 'utf8');
  const block = text.slice(
    text.indexOf('#define SQLITE_CREATE_INDEX'),
    text.indexOf('#define SQLITE_RECURSIVE') + 60,
  );
  const actions = new Map<string, number>();
  for (const m of block.matchAll(/#define SQLITE_(\w+)\s+(\d+)/g)) actions.set(m[1], Number(m[2]));
  actions.delete('COPY'); // "No longer used"
  return actions;
}

const state = (sql: string, kind: string): GeneratedStatement => ({
  sql,
  kind,
  admin: 'state',
  read: 'state',
});
const write = (sql: string, kind: string): GeneratedStatement => ({ sql, kind, admin: 'any', read: 'write' });
const read = (sql: string, kind: string): GeneratedStatement => ({ sql, kind, admin: 'ok', read: 'ok' });
/** Needs an object that only a refused statement could have made (a TEMP table): SQLite stops at "no such". */
const unreachable = (sql: string, kind: string): GeneratedStatement => ({
  sql,
  kind,
  admin: 'any',
  read: 'any',
});

/**
 * Statements for every authorizer action (each action of {@link authorizerActions} has at least one), and
 * statement forms that reach the connection without an action of their own. They act on table `t (x)` and
 * database file `otherDb`; the DROP and ALTER statements name objects that must exist for SQLite to reach
 * the authorizer (index t_x, tables t2 and ft (fts5), view v, trigger tr_p), the CREATE ones new names.
 */
export function statementsByAction(otherDb: string): Record<string, GeneratedStatement[]> {
  return {
    CREATE_INDEX: [write('CREATE INDEX t_x_new ON t (x)', 'CREATE_INDEX')],
    CREATE_TABLE: [
      write('CREATE TABLE t_new (y)', 'CREATE_TABLE'),
      write('CREATE TABLE t_new_as AS SELECT 1 AS z', 'CREATE_TABLE'),
    ],
    CREATE_TEMP_INDEX: [unreachable('CREATE INDEX temp.tt_x ON tt (x)', 'CREATE_TEMP_INDEX')],
    CREATE_TEMP_TABLE: [
      state('CREATE TEMP TABLE tt (x)', 'CREATE_TEMP_TABLE'),
      state('CREATE TEMP TABLE t (x)', 'CREATE_TEMP_TABLE'),
    ],
    CREATE_TEMP_TRIGGER: [
      state('CREATE TEMP TRIGGER tr_t AFTER INSERT ON t BEGIN SELECT 1; END', 'CREATE_TEMP_TRIGGER'),
    ],
    CREATE_TEMP_VIEW: [state('CREATE TEMP VIEW tv AS SELECT 1', 'CREATE_TEMP_VIEW')],
    CREATE_TRIGGER: [write('CREATE TRIGGER tr_new AFTER INSERT ON t BEGIN SELECT 1; END', 'CREATE_TRIGGER')],
    CREATE_VIEW: [write('CREATE VIEW v_new AS SELECT x FROM t', 'CREATE_VIEW')],
    DELETE: [write('DELETE FROM t WHERE x < 0', 'DELETE')],
    DROP_INDEX: [write('DROP INDEX IF EXISTS t_x', 'DROP_INDEX')],
    DROP_TABLE: [write('DROP TABLE IF EXISTS t2', 'DROP_TABLE')],
    DROP_TEMP_INDEX: [unreachable('DROP INDEX temp.tt_x', 'DROP_TEMP_INDEX')],
    DROP_TEMP_TABLE: [unreachable('DROP TABLE temp.tt', 'DROP_TEMP_TABLE')],
    DROP_TEMP_TRIGGER: [unreachable('DROP TRIGGER temp.tr_t', 'DROP_TEMP_TRIGGER')],
    DROP_TEMP_VIEW: [unreachable('DROP VIEW temp.tv', 'DROP_TEMP_VIEW')],
    DROP_TRIGGER: [write('DROP TRIGGER IF EXISTS tr_p', 'DROP_TRIGGER')],
    DROP_VIEW: [write('DROP VIEW IF EXISTS v', 'DROP_VIEW')],
    INSERT: [
      write('INSERT INTO t (x) VALUES (1)', 'INSERT'),
      write('REPLACE INTO t (x) VALUES (2)', 'INSERT'),
      write('INSERT INTO t (x) SELECT 3 RETURNING x', 'INSERT'),
    ],
    PRAGMA: [read('PRAGMA foreign_keys', 'PRAGMA'), state('PRAGMA foreign_keys = OFF', 'PRAGMA')],
    READ: [read('SELECT x FROM t LIMIT 1', 'READ')],
    SELECT: [
      read('SELECT 1', 'SELECT'),
      read('VALUES (1), (2)', 'SELECT'),
      read('EXPLAIN SELECT 1', 'SELECT'),
    ],
    TRANSACTION: [
      state('BEGIN', 'TRANSACTION'),
      state('BEGIN IMMEDIATE', 'TRANSACTION'),
      state('BEGIN EXCLUSIVE', 'TRANSACTION'),
      state('COMMIT', 'TRANSACTION'),
      state('END', 'TRANSACTION'),
      state('ROLLBACK', 'TRANSACTION'),
    ],
    UPDATE: [write('UPDATE t SET x = x WHERE x < 0', 'UPDATE')],
    ATTACH: [
      state(`ATTACH '${otherDb}' AS other`, 'ATTACH'),
      state("ATTACH ':memory:' AS mem", 'ATTACH'),
      // VACUUM attaches while it runs: the read role is refused before (it writes), the admin then.
      { sql: 'VACUUM', kind: 'ATTACH', admin: 'state', read: 'write' },
      { sql: `VACUUM INTO '${otherDb}-copy'`, kind: 'ATTACH', admin: 'state', read: 'write' },
    ],
    DETACH: [unreachable('DETACH other', 'DETACH')],
    ALTER_TABLE: [write('ALTER TABLE t2 ADD COLUMN z', 'ALTER_TABLE')],
    REINDEX: [write('REINDEX t', 'REINDEX')],
    ANALYZE: [write('ANALYZE t', 'ANALYZE')],
    CREATE_VTABLE: [write('CREATE VIRTUAL TABLE ft_new USING fts5(body)', 'CREATE_VTABLE')],
    DROP_VTABLE: [write('DROP TABLE IF EXISTS ft', 'DROP_VTABLE')],
    FUNCTION: [
      read('SELECT abs(-1), sqlite_version()', 'FUNCTION'),
      state("SELECT load_extension('/nonexistent')", 'FUNCTION'),
      state('SELECT ib_guard_key()', 'FUNCTION'),
    ],
    SAVEPOINT: [
      state('SAVEPOINT s1', 'SAVEPOINT'),
      state('RELEASE s1', 'SAVEPOINT'),
      state('ROLLBACK TO s1', 'SAVEPOINT'),
    ],
    RECURSIVE: [
      read(
        'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r LIMIT 3) SELECT n FROM r',
        'RECURSIVE',
      ),
    ],
  };
}

/** PRAGMAs whose argument names what to read (a table, an index, a limit), so they may take one. */
export const READ_ARGUMENT_PRAGMAS = new Set([
  'table_info',
  'table_xinfo',
  'index_info',
  'index_xinfo',
  'index_list',
  'foreign_key_list',
  'foreign_key_check',
  'integrity_check',
  'quick_check',
  'table_list',
]);

/** PRAGMAs that act when read without an argument. */
export const ACTING_PRAGMAS = new Set(['optimize', 'incremental_vacuum', 'shrink_memory', 'wal_checkpoint']);

/** Values every PRAGMA is tried with: numbers, switches, modes and a path. */
const PRAGMA_VALUES = ['0', '1', '-1', 'ON', 'OFF', "'exclusive'", "'memory'", "'/tmp'"];

/**
 * Every PRAGMA of `PRAGMA pragma_list` (on `db`) in every form: read, set to each of a list of values,
 * set in `main.` and `temp.`, called with an argument, and as a table-valued function.
 */
export function pragmaStatements(db: Database): GeneratedStatement[] {
  const names = db.prepare('SELECT name FROM pragma_pragma_list ORDER BY name').pluck().all() as string[];
  const modules = pragmaFunctions(db, names);
  const out: GeneratedStatement[] = [];
  for (const name of names) {
    const withArg = READ_ARGUMENT_PRAGMAS.has(name) ? 'ok' : 'state';
    out.push({
      sql: `PRAGMA ${name}`,
      kind: 'PRAGMA read',
      ...both(ACTING_PRAGMAS.has(name) ? 'state' : 'ok'),
    });
    for (const value of PRAGMA_VALUES) {
      out.push({
        sql: `PRAGMA ${name} = ${value}`,
        kind: 'PRAGMA set',
        ...both(withArg === 'ok' ? 'any' : 'state'),
      });
    }
    out.push({
      sql: `PRAGMA main.${name} = 1`,
      kind: 'PRAGMA set',
      ...both(withArg === 'ok' ? 'any' : 'state'),
    });
    out.push({
      sql: `PRAGMA temp.${name} = 1`,
      kind: 'PRAGMA set',
      ...both(withArg === 'ok' ? 'any' : 'state'),
    });
    out.push({ sql: `PRAGMA ${name}(t)`, kind: 'PRAGMA call', ...both(withArg === 'ok' ? 'ok' : 'state') });
    if (modules.has(`pragma_${name}`)) {
      out.push({
        sql: `SELECT * FROM pragma_${name}`,
        kind: 'PRAGMA function',
        ...both(ACTING_PRAGMAS.has(name) ? 'state' : 'any'),
      });
    }
  }
  return out;
}

/**
 * The `pragma_<name>` table-valued functions among `names` (SQLite registers them on first use, so
 * `pragma_module_list` does not list them all): those that prepare.
 */
export function pragmaFunctions(db: Database, names: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const name of names) {
    try {
      db.prepare(`SELECT * FROM pragma_${name}`);
      out.add(`pragma_${name}`);
    } catch {
      // not available as a table-valued function
    }
  }
  return out;
}

function both(e: Expect): { admin: Expect; read: Expect } {
  return { admin: e, read: e };
}

/** The whole generated list: every authorizer action's statements, then every PRAGMA form. */
export function generatedStatements(db: Database, otherDb: string): GeneratedStatement[] {
  return [...Object.values(statementsByAction(otherDb)).flat(), ...pragmaStatements(db)];
}
