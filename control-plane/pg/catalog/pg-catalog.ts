import type { ScanToken } from 'libpg-query';
import { parse, type Statement } from 'pgsql-ast-parser';
import { InfrabaseError } from '../../../engine/index.js';
import { pgStatementSyntax, scan } from '../pg-syntax.js';
import type { runCatalogStatement } from './run-catalog.js';
import { toSqlite } from './to-sqlite.js';

/** Names whose mention makes a statement a catalog query: the catalog schemas and their tables. */
const CATALOG_RELATIONS: ReadonlySet<string> = new Set([
  'PG_CATALOG',
  'INFORMATION_SCHEMA',
  'PG_NAMESPACE',
  'PG_CLASS',
  'PG_ATTRIBUTE',
  'PG_ATTRDEF',
  'PG_TYPE',
  'PG_AM',
  'PG_DATABASE',
  'PG_INDEX',
  'PG_CONSTRAINT',
  'PG_COLLATION',
  'PG_INHERITS',
  'PG_TRIGGER',
  'PG_POLICY',
  'PG_PUBLICATION',
  'PG_ROLES',
  'PG_AUTH_MEMBERS',
  'PG_USER',
  'PG_DESCRIPTION',
  'PG_SETTINGS',
  'PG_TABLES',
  'PG_VIEWS',
]);

/** Postgres functions SQLite lacks that make a call a catalog query (`SELECT version()`). */
const CATALOG_FUNCTIONS: ReadonlySet<string> = new Set([
  'VERSION',
  'CURRENT_SETTING',
  'CURRENT_DATABASE',
  'CURRENT_SCHEMA',
  'CURRENT_SCHEMAS',
  'PG_BACKEND_PID',
  'PG_IS_IN_RECOVERY',
  'PG_POSTMASTER_START_TIME',
  'FORMAT_TYPE',
  'HAS_TABLE_PRIVILEGE',
  'HAS_SCHEMA_PRIVILEGE',
  'HAS_DATABASE_PRIVILEGE',
]);

/** Postgres' session value functions (`SELECT current_user`), which SQLite would take for columns. */
const SESSION_VALUES: ReadonlySet<string> = new Set([
  'SVFOP_CURRENT_USER',
  'SVFOP_SESSION_USER',
  'SVFOP_CURRENT_ROLE',
  'SVFOP_CURRENT_CATALOG',
  'SVFOP_CURRENT_SCHEMA',
  'SVFOP_USER',
]);

/** Answers the catalog queries (pg_catalog, information_schema, version()) SQLite cannot. */
export interface CatalogResponder {
  /** Whether the statement is one for the catalog (decided from its parse, not from SQLite's error). */
  handles(sql: string): boolean;
  /** The statement as SQLite SQL over the catalog database. @throws InfrabaseError `SQL_ERROR` if it cannot. */
  translate(sql: string): string;
}

/**
 * Recognises what psql, drivers and Grafana ask of `pg_catalog` / `information_schema` (and `version()`,
 * `current_setting()`), and translates it: the statement is parsed as Postgres SQL (pgsql-ast-parser) and
 * printed as SQLite SQL for the catalog database (`catalog-db.ts`), which a SQL worker runs
 * ({@link runCatalogStatement}) under the pool's time limit.
 */
export class PgCatalog implements CatalogResponder {
  /**
   * A read (a SELECT, as Postgres' own parser reads it) that names a catalog table or schema, calls a catalog
   * function or names the session (`current_user`).
   */
  handles(sql: string): boolean {
    const pg = pgStatementSyntax(sql).pg;
    return pg !== undefined && 'SelectStmt' in pg && mentionsCatalog(pg);
  }

  /**
   * The SQLite SQL of a catalog query.
   * @throws InfrabaseError `SQL_ERROR` when it does not parse as Postgres SQL or uses what the catalog lacks.
   */
  translate(sql: string): string {
    let statements: Statement[];
    try {
      statements = parse(normalize(sql));
    } catch (err) {
      throw new InfrabaseError(
        'SQL_ERROR',
        `syntax error in catalog query: ${(err as Error).message.split('\n')[0]}`,
      );
    }
    if (statements.length !== 1) {
      throw new InfrabaseError('SQL_ERROR', `a catalog query is one statement; got ${statements.length}`);
    }
    return toSqlite(statements[0]);
  }
}

/** Whether a Postgres parse tree reads a catalog relation, calls a catalog function or names the session. */
function mentionsCatalog(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(mentionsCatalog);
  if (typeof node !== 'object' || node === null) return false;
  const n = node as Record<string, unknown>;
  const range = n.RangeVar as { schemaname?: string; relname?: string } | undefined;
  if (range) {
    const schema = range.schemaname?.toUpperCase();
    if (schema === 'PG_CATALOG' || schema === 'INFORMATION_SCHEMA') return true;
    if (CATALOG_RELATIONS.has(range.relname?.toUpperCase() ?? '')) return true;
  }
  const call = n.FuncCall as { funcname?: { String?: { sval?: string } }[] } | undefined;
  if (call) {
    const names = (call.funcname ?? []).map((f) => f.String?.sval?.toUpperCase() ?? '');
    if (names.length > 1 && names[0] === 'PG_CATALOG') return true;
    if (CATALOG_FUNCTIONS.has(names.at(-1) ?? '')) return true;
  }
  const value = n.SQLValueFunction as { op?: string } | undefined;
  if (value && SESSION_VALUES.has(value.op ?? '')) return true;
  return Object.values(n).some(mentionsCatalog);
}

/**
 * Rewrites the two spellings psql uses that pgsql-ast-parser does not parse, on Postgres' own scanner's
 * tokens: `OPERATOR(pg_catalog.~)` becomes `~`, and `COLLATE pg_catalog.default` is dropped (SQLite compares
 * bytes).
 */
export function normalize(sql: string): string {
  const tokens = scan(sql).filter((t) => t.tokenName !== 'SQL_COMMENT' && t.tokenName !== 'C_COMMENT');
  let out = '';
  let from = 0;
  const is = (t: ScanToken | undefined, text: string) => t?.text.toUpperCase() === text;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (is(t, 'OPERATOR') && is(tokens[i + 1], '(')) {
      let j = i + 2;
      if (is(tokens[j + 1], '.')) j += 2;
      let op = '';
      while (j < tokens.length && !is(tokens[j], ')')) op += tokens[j++].text;
      out += `${sql.slice(from, t.start)} ${op} `;
      from = tokens[j]?.end ?? sql.length;
      i = j;
    } else if (is(t, 'COLLATE')) {
      let j = i + 1;
      if (is(tokens[j + 1], '.')) j += 2;
      out += sql.slice(from, t.start);
      from = tokens[j]?.end ?? sql.length;
      i = j;
    }
  }
  return out + sql.slice(from);
}
