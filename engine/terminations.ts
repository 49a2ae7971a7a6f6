import type { Database, Statement } from 'better-sqlite3';
import { isInfrabaseError } from './errors.js';
import type { QueryResult } from './extension.js';

interface Reads {
  readonly running: Statement;
  readonly terminated: Statement;
}

/** SQLite's refusal of a VACUUM inside a transaction (vacuum.c), raised before anything is done. */
const VACUUM_IN_TRANSACTION = 'cannot VACUUM from within a transaction';

/** The two reads per connection, prepared once; undefined for a database without `sys_nodes`. */
const prepared = new WeakMap<Database, Reads | null>();

function readsOf(db: Database): Reads | undefined {
  let reads = prepared.get(db);
  if (reads === undefined) {
    const catalog = db
      .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'sys_nodes'")
      .get();
    reads = catalog
      ? {
          running: db.prepare("SELECT id FROM sys_nodes WHERE desired_state <> 'terminated'").pluck(),
          terminated: db.prepare("SELECT id FROM sys_nodes WHERE desired_state = 'terminated'").pluck(),
        }
      : null;
    prepared.set(db, reads);
  }
  return reads ?? undefined;
}

/**
 * Runs a write statement (`run`) and counts the nodes it marked for termination: `sys_nodes` rows whose
 * `desired_state` went from `running` to `terminated` in that statement. A `DELETE FROM sys_nodes` changes no
 * row itself (the finalizer trigger turns the delete of a launched node into that update and skips the
 * delete, so SQLite's `changes` is 0); the count is what the database holds before and after, read in one
 * IMMEDIATE transaction with the statement, so no other writer's change is counted. On a database without
 * `sys_nodes` (checked once per connection) it only runs `run`.
 * @returns `run`'s result, with `markedForTermination` when at least one node was marked.
 * @throws what `run` throws (the transaction is rolled back).
 */
export function runCountingTerminations(db: Database, run: () => QueryResult): QueryResult {
  const reads = readsOf(db);
  if (!reads) return run();
  try {
    return db
      .transaction(() => {
        const before = new Set(reads.running.all() as string[]);
        const result = run();
        if (before.size === 0) return result;
        const marked = (reads.terminated.all() as string[]).filter((id) => before.has(id)).length;
        return marked > 0 ? { ...result, markedForTermination: marked } : result;
      })
      .immediate();
  } catch (err) {
    // VACUUM, the one write that cannot run inside a transaction, is refused by SQLite before it does
    // anything: run it as it comes, so the caller's own checks (the connection guard) answer for it.
    if (isInfrabaseError(err, 'SQL_ERROR') && err.message === VACUUM_IN_TRANSACTION) return run();
    throw err;
  }
}
