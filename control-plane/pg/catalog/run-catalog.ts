import type BetterSqlite3 from 'better-sqlite3';
import {
  type Database,
  fromSqliteError,
  InfrabaseError,
  type QueryResult,
  VERSION,
} from '../../../engine/index.js';
import { CatalogDatabase } from './catalog-db.js';

/** The session a catalog statement runs for: its user and its run-time parameters (for `current_setting`). */
export interface CatalogContext {
  readonly user: string;
  readonly settings: Readonly<Record<string, string>>;
}

/**
 * The name of the SQL worker plug-in's statement handler that runs catalog statements
 * ({@link runCatalogStatement}): a pool request `{ sql, handler: { name: PG_CATALOG_HANDLER, context } }`.
 */
export const PG_CATALOG_HANDLER = 'pg-catalog';

let catalog: CatalogDatabase | undefined;

/**
 * Runs a catalog statement, already translated to SQLite by {@link PgCatalog.translate}, on this process's
 * catalog database (built from `db`'s schema on first use). SQL workers call it, so catalog queries share the
 * pool's time limits and cancellation. `describe` prepares it and answers its columns without running it.
 * @throws InfrabaseError `SQL_ERROR` (or SQLite's code) when it does not prepare or fails.
 */
export function runCatalogStatement(
  db: Database,
  sql: string,
  params: unknown[] | Record<string, unknown>,
  context: CatalogContext,
  mode: 'execute' | 'describe' = 'execute',
): QueryResult {
  catalog ??= new CatalogDatabase(db, catalogVersion(db));
  const session = { user: context.user, setting: (name: string) => context.settings[name.toLowerCase()] };
  return catalog.with(session, (cdb: BetterSqlite3.Database) => {
    let stmt: BetterSqlite3.Statement;
    try {
      stmt = cdb.prepare(sql);
    } catch (err) {
      throw fromSqliteError(err);
    }
    if (!stmt.reader) throw new InfrabaseError('PERMISSION_DENIED', 'catalog statements only read');
    const columns = stmt.columns();
    let rows: unknown[][] = [];
    if (mode === 'execute') {
      try {
        rows = stmt.raw(true).all(...(Array.isArray(params) ? params : [params])) as unknown[][];
      } catch (err) {
        throw fromSqliteError(err);
      }
    }
    return {
      columns: columns.map((c) => c.name),
      rows,
      changes: 0,
      declaredTypes: columns.map((c) => c.type),
    };
  });
}

/** What `version()` answers: the protocol version infrabase speaks, its own and SQLite's. */
function catalogVersion(db: Database): string {
  const sqlite = String(db.prepare('SELECT sqlite_version()').pluck().get());
  return `PostgreSQL 15.0 (infrabase ${VERSION}, SQLite ${sqlite})`;
}
