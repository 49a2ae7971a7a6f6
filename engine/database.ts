import BetterSqlite3, { type Database } from 'better-sqlite3';
import { fromSqliteError, InfrabaseError } from './errors.js';
import type { ConnectionRole, EngineExtension } from './extension.js';
import { migrate } from './migrations.js';
import { USER_SQL_MARKER } from './user-sql.js';

export type { Database } from 'better-sqlite3';

export interface OpenOptions {
  /** Who opens the connection; passed to extensions. Default `main`. */
  role?: ConnectionRole;
  readonly?: boolean;
  /** Apply catalog migrations and extension schema (only the owning process should). Default false. */
  migrate?: boolean;
  extensions?: readonly EngineExtension[];
  /** How long a writer waits for the lock before SQLITE_BUSY, in milliseconds. Default 5000. */
  busyTimeoutMs?: number;
}

/** Size the WAL is truncated to when a checkpoint resets it, bytes (`PRAGMA journal_size_limit`). */
export const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Opens a SQLite database with the pragmas every infrabase connection needs: `journal_mode=WAL`,
 * `synchronous=FULL` (set on every open: better-sqlite3 reopens WAL databases at NORMAL, which can lose
 * acknowledged commits on power loss), `foreign_keys=ON`, `busy_timeout` and `journal_size_limit`
 * ({@link JOURNAL_SIZE_LIMIT_BYTES}: the WAL is cut back to it whenever a checkpoint resets it). The process
 * that migrates also checkpoints with TRUNCATE first, so a WAL left by a killed writer does not stay large.
 *
 * @param path a file path or `:memory:` (an in-memory database keeps `journal_mode=memory`).
 * @throws InfrabaseError `INTERNAL` if the pragmas did not take, `SQL_ERROR`/`READONLY` from SQLite.
 */
export function openDatabase(path: string, options: OpenOptions = {}): Database {
  const role = options.role ?? 'main';
  const readonly = options.readonly ?? false;
  let db: Database;
  try {
    db = new BetterSqlite3(path, { readonly, fileMustExist: readonly });
  } catch (err) {
    throw fromSqliteError(err);
  }
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    if (!readonly && path !== ':memory:') {
      db.pragma('journal_mode = WAL');
      db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
      if (options.migrate) db.pragma('wal_checkpoint(TRUNCATE)');
    }
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    assertPragmas(db, path);
    registerWriterFunction(db, role);
    if (options.migrate) migrate(db);
    for (const ext of options.extensions ?? []) ext.register?.(db, { path, role, readonly });
    if (options.migrate) {
      for (const ext of options.extensions ?? []) if (ext.schema) db.exec(ext.schema);
    }
  } catch (err) {
    db.close();
    throw fromSqliteError(err);
  }
  return db;
}

/** Registers the user-SQL marker function on SQL-worker connections (see user-sql.ts). */
function registerWriterFunction(db: Database, role: ConnectionRole): void {
  if (role === 'sql-worker') db.function(USER_SQL_MARKER, { deterministic: true }, () => 1);
}

/** Checks the durability pragmas really are in force on this connection. */
function assertPragmas(db: Database, path: string): void {
  const synchronous = db.pragma('synchronous', { simple: true });
  const foreignKeys = db.pragma('foreign_keys', { simple: true });
  const journal = db.pragma('journal_mode', { simple: true });
  const wantJournal = path === ':memory:' ? 'memory' : 'wal';
  if (synchronous !== 2 || foreignKeys !== 1 || journal !== wantJournal) {
    throw new InfrabaseError(
      'INTERNAL',
      `connection to ${path} has synchronous=${synchronous}, foreign_keys=${foreignKeys}, journal_mode=${journal}; expected 2, 1, ${wantJournal}`,
    );
  }
}
