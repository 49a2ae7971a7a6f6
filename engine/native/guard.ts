import { existsSync } from 'node:fs';
import type { Database, Statement } from 'better-sqlite3';
import { compiledPath } from '../compiled-path.js';
import { fromSqliteError, InfrabaseError } from '../errors.js';

/** Where `npm run build` writes the compiled guard extension (dist/engine/native/guard.so). */
export const GUARD_LIBRARY_PATH = compiledPath(import.meta.url, './guard.so');

/** Who a user statement runs for: `admin` may write, `read` only reads. */
export type GuardRole = 'admin' | 'read';

/** What both roles may not run on a pooled connection, for the refusal messages. */
const CONNECTION_RULE =
  'each request runs on a pooled connection and commits on its own, so no token may run transaction control ' +
  '(BEGIN, COMMIT, END, ROLLBACK, SAVEPOINT, RELEASE), ATTACH/DETACH (nor VACUUM, which attaches), TEMP ' +
  'tables/views/triggers/indexes, load_extension(), or a PRAGMA that sets a value or acts (optimize, ' +
  'wal_checkpoint, incremental_vacuum, shrink_memory); PRAGMAs that read are allowed, e.g. ' +
  'PRAGMA foreign_keys or PRAGMA table_info(t)';
const READ_RULE =
  'the read-only token may only read: SELECT, WITH, VALUES, EXPLAIN and PRAGMAs that read; writes need the admin token';

/**
 * The connection guard of one connection: the authorizer of the native extension (engine/native/guard.c),
 * which refuses, by what SQLite's parser reports, transaction control, ATTACH/DETACH, TEMP objects and
 * state-changing PRAGMAs to every user statement and writes to the read role; it also sets
 * `SQLITE_LIMIT_ATTACHED` to 0. Statements the process prepares itself (outside {@link prepare}) are not
 * judged.
 */
export class ConnectionGuard {
  private constructor(
    private readonly control: Statement,
    private readonly key: string,
  ) {}

  /**
   * Loads the guard extension on `db` and takes its key.
   * @throws InfrabaseError `UNAVAILABLE` when the library was not built (no C compiler at build time): user
   *   SQL must then be refused, never run unguarded; `INTERNAL` when it loads but its key was already taken.
   */
  static load(db: Database): ConnectionGuard {
    if (!existsSync(GUARD_LIBRARY_PATH)) {
      throw new InfrabaseError(
        'UNAVAILABLE',
        `user SQL is refused: the connection guard library ${GUARD_LIBRARY_PATH} was not built (it needs a C compiler: install one, e.g. build-essential, and run npm run build)`,
      );
    }
    db.loadExtension(GUARD_LIBRARY_PATH); // entry point sqlite3_guard_init, from the file name
    const key = db.prepare('SELECT ib_guard_key()').pluck().get();
    if (typeof key !== 'string') throw new InfrabaseError('INTERNAL', 'the connection guard key was taken');
    return new ConnectionGuard(db.prepare('SELECT ib_guard(?, ?)').pluck(), key);
  }

  /**
   * Prepares one user statement under `role`'s rules (SQLite runs the authorizer while it compiles).
   * @throws InfrabaseError `PERMISSION_DENIED` for a write by the read role, `INVALID_ARGUMENT` for what no
   *   role may run (naming the refused part and what is allowed), else the prepare's own error (`SQL_ERROR`,
   *   or RangeError for more than one statement).
   */
  prepare(db: Database, sql: string, role: GuardRole): Statement {
    this.mode(role);
    let stmt: Statement | undefined;
    let error: unknown;
    try {
      stmt = db.prepare(sql);
    } catch (err) {
      error = err;
    }
    const refusal = this.mode('off');
    if (refusal !== null) throw refusalError(refusal, error);
    if (error !== undefined) throw error;
    return stmt!;
  }

  /**
   * Runs a prepared user statement (`fn`) in run mode, in which what SQLite compiles while it runs (the
   * PRAGMA behind a pragma table-valued function) may not change the connection.
   * @throws InfrabaseError `INVALID_ARGUMENT` naming the refused part, else `fn`'s own error.
   */
  run<T>(fn: () => T): T {
    this.mode('run');
    let result: T | undefined;
    let error: unknown;
    let failed = false;
    try {
      result = fn();
    } catch (err) {
      error = err;
      failed = true;
    }
    const refusal = this.mode('off');
    if (refusal !== null) throw refusalError(refusal, error);
    if (failed) throw error;
    return result as T;
  }

  /**
   * Whether a statement judged since the last call reached a connection-level action (any PRAGMA,
   * transaction control, savepoint, ATTACH/DETACH, TEMP object), whether allowed or refused; then forgets it.
   */
  takeTouched(): boolean {
    try {
      return this.control.get(this.key, 'touched') === 1;
    } catch (err) {
      throw fromSqliteError(err);
    }
  }

  /** Sets the authorizer's mode; returns the first refusal (`<class>|<what>`) since the last call, or null. */
  private mode(mode: GuardRole | 'off' | 'run'): string | null {
    try {
      return this.control.get(this.key, mode) as string | null;
    } catch (err) {
      throw fromSqliteError(err);
    }
  }
}

function refusalError(refusal: string, cause: unknown): InfrabaseError {
  const what = refusal.slice(2);
  if (refusal.startsWith('W|')) {
    return new InfrabaseError('PERMISSION_DENIED', `refused: ${what}; ${READ_RULE}`, { cause });
  }
  return new InfrabaseError('INVALID_ARGUMENT', `refused: ${what}; ${CONNECTION_RULE}`, { cause });
}
