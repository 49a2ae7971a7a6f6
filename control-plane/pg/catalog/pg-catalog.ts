import { parse, type Statement } from 'pgsql-ast-parser';
import { InfrabaseError } from '../../../engine/index.js';
import { leadingKeyword, type Token, tokenize } from '../sql-lexer.js';
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

/** Postgres keywords that name the session (`SELECT current_user`), which SQLite would take for columns. */
const SESSION_KEYWORDS: ReadonlySet<string> = new Set([
  'CURRENT_USER',
  'SESSION_USER',
  'CURRENT_ROLE',
  'CURRENT_CATALOG',
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
  /** A read that names a catalog table or schema, or calls a catalog function. */
  handles(sql: string): boolean {
    const tokens = tokenize(sql);
    const keyword = leadingKeyword(tokens);
    if (keyword !== 'SELECT' && keyword !== 'WITH') return false;
    return tokens.some((t, i) => {
      if (t.kind !== 'word') return false;
      const call = tokens[i + 1]?.kind === 'punct' && tokens[i + 1].text === '(';
      return (
        CATALOG_RELATIONS.has(t.text) || (call ? CATALOG_FUNCTIONS.has(t.text) : SESSION_KEYWORDS.has(t.text))
      );
    });
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

/**
 * Rewrites the two spellings psql uses that pgsql-ast-parser does not parse, at the token level:
 * `OPERATOR(pg_catalog.~)` becomes `~`, and `COLLATE pg_catalog.default` is dropped (SQLite compares bytes).
 */
export function normalize(sql: string): string {
  const tokens = tokenize(sql);
  let out = '';
  let from = 0;
  const isPunct = (t: Token | undefined, text: string) => t?.kind === 'punct' && t.text === text;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'word' && t.text === 'OPERATOR' && isPunct(tokens[i + 1], '(')) {
      let j = i + 2;
      if (isPunct(tokens[j + 1], '.')) j += 2;
      let op = '';
      while (j < tokens.length && !isPunct(tokens[j], ')')) op += tokens[j++].text;
      out += `${sql.slice(from, t.start)} ${op} `;
      from = tokens[j]?.end ?? sql.length;
      i = j;
    } else if (t.kind === 'word' && t.text === 'COLLATE') {
      let j = i + 1;
      if (isPunct(tokens[j + 1], '.')) j += 2;
      out += sql.slice(from, t.start);
      from = tokens[j]?.end ?? sql.length;
      i = j;
    }
  }
  return out + sql.slice(from);
}
