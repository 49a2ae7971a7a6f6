import { parse } from 'pgsql-ast-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../control-plane/index.js';
import { PgCatalog } from '../../../control-plane/pg/catalog/index.js';
import { normalize } from '../../../control-plane/pg/catalog/pg-catalog.js';
import { toSqlite } from '../../../control-plane/pg/catalog/to-sqlite.js';
import { commandTag } from '../../../control-plane/pg/command-tag.js';
import { pgListenAddress } from '../../../control-plane/pg/index.js';
import {
  loadPgParser,
  maxParam,
  pgStatementSyntax,
  splitQuery,
} from '../../../control-plane/pg/pg-syntax.js';
import { statementTimeoutMs } from '../../../control-plane/pg/session.js';
import type { SessionState } from '../../../control-plane/pg/session-commands.js';
import { sqlStateOf } from '../../../control-plane/pg/sqlstate.js';
import { columnTypeOid, decodeParam, encodeValue, PG_TYPE } from '../../../control-plane/pg/values.js';
import { InfrabaseError } from '../../../engine/index.js';

beforeAll(() => loadPgParser());

describe('splitting a simple Query message', () => {
  it('splits at semicolons outside strings, quoted names and comments, dropping empty statements', () => {
    expect(splitQuery('SELECT \';\'; ;SELECT "a;b" -- x; y\n; /* ; */ SELECT 3;')).toEqual([
      "SELECT ';'",
      'SELECT "a;b" -- x; y',
      'SELECT 3',
    ]);
    expect(splitQuery(' ; -- only a comment\n')).toEqual([]);
  });

  it('keeps a CREATE TRIGGER body, with CASE … END inside, in one statement', () => {
    const trigger =
      'CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET n = CASE WHEN new.x THEN 1 ELSE 2 END; DELETE FROM c; END';
    expect(splitQuery(`${trigger}; SELECT 1`)).toEqual([trigger, 'SELECT 1']);
  });
});

describe('statements only Postgres spells', () => {
  it("splits them at the semicolons of Postgres' scanner when SQLite's grammar rejects the text", () => {
    expect(splitQuery("SET application_name = 'a;b'; SHOW application_name; -- x; y\n")).toEqual([
      "SET application_name = 'a;b'",
      'SHOW application_name',
    ]);
  });

  it("reads session commands from Postgres' parse, and BEGIN/COMMIT also from SQLite's", () => {
    const session = (sql: string) => pgStatementSyntax(sql).session;
    expect(session("SET statement_timeout TO '2s'")).toEqual({
      kind: 'set',
      name: 'statement_timeout',
      value: '2s',
    });
    expect(session('set search_path = a, "B"')).toEqual({ kind: 'set', name: 'search_path', value: 'a, B' });
    expect(session('RESET ALL')).toEqual({ kind: 'reset' });
    expect(session('SHOW server_version')).toEqual({ kind: 'show', name: 'server_version' });
    expect(session('START TRANSACTION ISOLATION LEVEL SERIALIZABLE')).toEqual({
      kind: 'begin',
      tag: 'START TRANSACTION',
    });
    expect(session('BEGIN IMMEDIATE')).toEqual({ kind: 'begin', tag: 'BEGIN' });
    expect(session('ABORT')).toEqual({ kind: 'rollback' });
    expect(session('DISCARD ALL')).toEqual({ kind: 'discard', tag: 'DISCARD ALL' });
    expect(session('DEALLOCATE PREPARE s1')).toEqual({ kind: 'deallocate', name: 's1' });
    expect(session("SELECT 'SET x = 1'")).toBeUndefined();
    expect(session('ROLLBACK TO sp')).toBeUndefined();
  });

  it('counts the $n parameters a statement uses, outside strings', () => {
    expect(maxParam("SELECT $2, '$9' FROM t WHERE a = $1")).toBe(2);
  });
});

describe('CommandComplete tags', () => {
  const tag = (sql: string, columns: string[], rows: unknown[][], changes: number) =>
    commandTag(pgStatementSyntax(sql).command, { columns, rows, changes });
  it('counts rows read, rows changed, or rows returned by RETURNING', () => {
    expect(tag('SELECT 1', ['1'], [[1]], 0)).toBe('SELECT 1');
    expect(tag('WITH x AS (SELECT 1) SELECT * FROM x', ['1'], [], 0)).toBe('SELECT 0');
    expect(tag('INSERT INTO t VALUES (1), (2)', [], [], 2)).toBe('INSERT 0 2');
    expect(tag('REPLACE INTO t VALUES (1)', [], [], 1)).toBe('INSERT 0 1');
    expect(tag('insert into t values (1) returning id', ['id'], [[1]], 0)).toBe('INSERT 0 1');
    expect(tag('UPDATE t SET a = 1', [], [], 3)).toBe('UPDATE 3');
    expect(tag('DELETE FROM t', [], [], 0)).toBe('DELETE 0');
    expect(tag('CREATE TABLE IF NOT EXISTS t (a)', [], [], 0)).toBe('CREATE TABLE');
    expect(tag('DROP INDEX i', [], [], 0)).toBe('DROP INDEX');
  });
});

describe('type OIDs and value encodings', () => {
  it('derives OIDs from values, and bool only from a BOOL declaration holding 0/1', () => {
    expect(columnTypeOid([1, 2n, null], 'INTEGER')).toBe(PG_TYPE.int8);
    expect(columnTypeOid([1, 2.5], null)).toBe(PG_TYPE.float8);
    expect(columnTypeOid([2], 'REAL')).toBe(PG_TYPE.float8);
    expect(columnTypeOid([Buffer.from('x')], null)).toBe(PG_TYPE.bytea);
    expect(columnTypeOid([1, 'a'], null)).toBe(PG_TYPE.text);
    expect(columnTypeOid([0, 1], 'BOOL')).toBe(PG_TYPE.bool);
    expect(columnTypeOid([0, 2], 'BOOLEAN')).toBe(PG_TYPE.int8);
    expect(columnTypeOid([null], 'BLOB')).toBe(PG_TYPE.bytea);
    expect(columnTypeOid([], null)).toBe(PG_TYPE.text);
  });

  it('encodes text and binary values as Postgres does', () => {
    expect(encodeValue(1, PG_TYPE.bool, 0)?.toString()).toBe('t');
    expect(encodeValue(Buffer.from([0, 255]), PG_TYPE.bytea, 0)?.toString()).toBe('\\x00ff');
    expect(encodeValue(Number.NaN, PG_TYPE.float8, 0)?.toString()).toBe('NaN');
    expect(encodeValue(null, PG_TYPE.text, 0)).toBeNull();
    expect(encodeValue(-2, PG_TYPE.int8, 1)?.readBigInt64BE()).toBe(-2n);
    expect(encodeValue(0.5, PG_TYPE.float8, 1)?.readDoubleBE()).toBe(0.5);
  });

  it('decodes Bind parameters by their declared type and format, rejecting bytes that do not fit', () => {
    expect(decodeParam(Buffer.from('42'), 0, 0, 1)).toBe('42');
    expect(decodeParam(Buffer.from('42'), PG_TYPE.int8, 0, 1)).toBe(42);
    expect(decodeParam(Buffer.from('9007199254740993'), PG_TYPE.int8, 0, 1)).toBe(9007199254740993n);
    expect(decodeParam(Buffer.from('true'), PG_TYPE.bool, 0, 1)).toBe(1);
    expect(decodeParam(Buffer.from('\\x0aff'), PG_TYPE.bytea, 0, 1)).toEqual(Buffer.from([10, 255]));
    expect(decodeParam(Buffer.from([1, 2]), 0, 1, 1)).toEqual(Buffer.from([1, 2]));
    const int4 = Buffer.alloc(4);
    int4.writeInt32BE(-7);
    expect(decodeParam(int4, PG_TYPE.int4, 1, 1)).toBe(-7);
    expect(decodeParam(null, PG_TYPE.int4, 1, 1)).toBeNull();
    expect(() => decodeParam(Buffer.from('x1'), PG_TYPE.int4, 0, 3)).toThrow(
      /parameter \$3 is not a valid integer/,
    );
    expect(() => decodeParam(Buffer.from([1]), PG_TYPE.int8, 1, 2)).toThrow(/parameter \$2/);
  });
});

describe('SQLSTATEs', () => {
  const state = (code: ConstructorParameters<typeof InfrabaseError>[0], message: string, sqlite?: string) =>
    sqlStateOf(new InfrabaseError(code, message, { details: sqlite ? { sqlite } : {} }));
  it('maps infrabase codes, SQLite constraint codes and SQLite compile errors', () => {
    expect(state('SQL_ERROR', 'near "SELEC": syntax error')).toBe('42601');
    expect(state('SQL_ERROR', 'no such table: x')).toBe('42P01');
    expect(state('SQL_ERROR', 'table t already exists')).toBe('42P07');
    expect(state('SQL_ERROR', 'something else')).toBe('42000');
    expect(state('CONSTRAINT', 'UNIQUE constraint failed: t.k', 'SQLITE_CONSTRAINT_PRIMARYKEY')).toBe(
      '23505',
    );
    expect(state('CONSTRAINT', 'NOT NULL constraint failed: t.k', 'SQLITE_CONSTRAINT_NOTNULL')).toBe('23502');
    expect(state('CONSTRAINT', 'raised', 'SQLITE_CONSTRAINT_TRIGGER')).toBe('23000');
    expect(state('PERMISSION_DENIED', 'no')).toBe('42501');
    expect(state('TIMEOUT', 'late')).toBe('57014');
  });
});

describe('statement_timeout', () => {
  const withSetting = (value?: string): SessionState => ({
    status: 'I',
    writesInBlock: 0,
    settings: new Map(value === undefined ? [] : [['statement_timeout', value]]),
  });
  it("becomes the statement's time limit in ms; 0 or unset leaves the pool's default", () => {
    expect(statementTimeoutMs(withSetting())).toBeUndefined();
    expect(statementTimeoutMs(withSetting('0'))).toBeUndefined();
    expect(statementTimeoutMs(withSetting('1500'))).toBe(1500);
    expect(statementTimeoutMs(withSetting('2s'))).toBe(2000);
    expect(statementTimeoutMs(withSetting('1min'))).toBe(60_000);
    expect(() => statementTimeoutMs(withSetting('soon'))).toThrow(
      /statement_timeout "soon" is not a duration/,
    );
  });
});

describe('catalog queries', () => {
  const catalog = new PgCatalog();
  it('routes reads that name pg_catalog or information_schema tables or call catalog functions', () => {
    expect(catalog.handles('SELECT * FROM pg_catalog.pg_class')).toBe(true);
    expect(catalog.handles('select table_name from information_schema.tables')).toBe(true);
    expect(catalog.handles('SELECT version()')).toBe(true);
    expect(catalog.handles('SELECT current_user')).toBe(true);
    expect(catalog.handles("SELECT 'pg_class', version FROM releases")).toBe(false);
    expect(catalog.handles('DELETE FROM pg_class')).toBe(false);
  });

  it('does not take a column or string named like a catalog function for a call', () => {
    expect(catalog.handles("SELECT version, 'version()' FROM releases WHERE current_setting = 1")).toBe(
      false,
    );
    expect(catalog.handles('SELECT pg_catalog.pg_table_is_visible(1)')).toBe(true);
  });

  it("rewrites psql's OPERATOR(pg_catalog.~) and COLLATE on Postgres' scanner's tokens", () => {
    expect(normalize("c.relname OPERATOR(pg_catalog.~) '^(t)$' COLLATE pg_catalog.default AND x")).toBe(
      "c.relname  ~  '^(t)$'  AND x",
    );
  });

  it('prints Postgres catalog SQL as SQLite over the attached catalog schemas', () => {
    const sql = toSqlite(
      parse(
        "SELECT c.oid::pg_catalog.regclass, n.nspname !~ '^pg_' AS visible, s[i] FROM pg_class c " +
          "LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace, generate_series(1, 2) AS i, string_to_array('a,b', ',') s ORDER BY 1",
      )[0],
    );
    expect(sql).toBe(
      'SELECT (SELECT relname FROM pg_catalog.pg_class WHERE oid = "c"."oid"), ' +
        `(NOT pg_regex_match("n"."nspname", '^pg_', 0)) AS "visible", ` +
        `json_extract("s".value, '$[' || CAST(("i".value) - 1 AS INTEGER) || ']') ` +
        'FROM pg_catalog."pg_class" AS "c" LEFT JOIN pg_catalog."pg_namespace" AS "n" ON ("n"."oid" = "c"."relnamespace"), ' +
        `pg_generate_series(1, 2) AS "i", (SELECT string_to_array('a,b', ',') AS value) AS "s" ORDER BY 1`,
    );
  });

  it('refuses what it does not know by name, and statements other than reads', () => {
    expect(() => catalog.translate('SELECT * FROM pg_class FOR UPDATE; SELECT 1')).toThrow(
      /one statement; got 2/,
    );
    expect(() => catalog.translate('SELECT x->>1 FROM pg_class')).toThrow(
      /catalog query not supported: expression member/,
    );
    expect(() => catalog.translate('SELECT * FROM other.pg_class')).toThrow(
      /outside pg_catalog and information_schema/,
    );
  });
});

describe('the postgres configuration', () => {
  it('listens on 5433 at the API host by default, a free port beside an ephemeral API, or as configured', () => {
    const defaults = loadConfig({ env: {} });
    expect([defaults.postgres.enabled, defaults.postgres.tls.required]).toEqual([true, false]);
    expect(pgListenAddress(defaults)).toEqual({ host: '127.0.0.1', port: 5433 });
    expect(pgListenAddress(loadConfig({ env: {}, flags: { port: 0 } }))).toEqual({
      host: '127.0.0.1',
      port: 0,
    });
    const set = loadConfig({
      env: { INFRABASE_PG_PORT: '6543' },
      flags: { port: 0, postgres: { host: '0.0.0.0' } },
    });
    expect(pgListenAddress(set)).toEqual({ host: '0.0.0.0', port: 6543 });
    expect(() => loadConfig({ env: {}, flags: { postgres: { port: 70000 } } })).toThrow(/postgres\.port/);
  });
});
