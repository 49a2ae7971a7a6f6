import type { Database } from 'better-sqlite3';
import type { QueryResult } from './extension.js';

/**
 * Runs a write statement (`run`) and counts the nodes it marked for termination: `sys_nodes` rows whose
 * `desired_state` went from `running` to `terminated` in that statement. A `DELETE FROM sys_nodes` changes no
 * row itself (the finalizer trigger turns the delete of a launched node into that update and skips the
 * delete, so SQLite's `changes` is 0); the count is what the database holds before and after, read in one
 * IMMEDIATE transaction with the statement, so no other writer's change is counted.
 * On a database without `sys_nodes` it only runs `run`.
 * @returns `run`'s result, with `markedForTermination` when at least one node was marked.
 * @throws what `run` throws (the transaction is rolled back).
 */
export function runCountingTerminations(db: Database, run: () => QueryResult): QueryResult {
  const catalog = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'sys_nodes'").get();
  if (!catalog) return run(); // not the catalog database (e.g. a node's shard database)
  const running = db.prepare("SELECT id FROM sys_nodes WHERE desired_state <> 'terminated'").pluck();
  const terminated = db.prepare("SELECT id FROM sys_nodes WHERE desired_state = 'terminated'").pluck();
  return db
    .transaction(() => {
      const before = new Set(running.all() as string[]);
      const result = run();
      if (before.size === 0) return result;
      const marked = (terminated.all() as string[]).filter((id) => before.has(id)).length;
      return marked > 0 ? { ...result, markedForTermination: marked } : result;
    })
    .immediate();
}
