import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { executeStatement, openDatabase } from '../../engine/index.js';

let db: Database;
beforeEach(() => {
  db = openDatabase(':memory:', { migrate: true });
  // Three launched nodes (their idempotency token is set, so the finalizer applies) and one never launched.
  db.exec(`INSERT INTO sys_nodes (id, idempotency_token, status) VALUES
    ('n-1', 't1', 'ready'), ('n-2', 't2', 'ready'), ('n-3', 't3', 'booting');
    INSERT INTO sys_nodes (id) VALUES ('n-new');`);
});
afterEach(() => db.close());

const run = (sql: string) => executeStatement(db, { sql, params: [] }, { countTerminations: true });

describe('markedForTermination', () => {
  it('counts the nodes a DELETE on sys_nodes marked, where SQLite reports 0 rows changed', () => {
    const res = run("DELETE FROM sys_nodes WHERE id IN ('n-1', 'n-2')");
    expect(res).toMatchObject({ changes: 0, markedForTermination: 2 });
    const states = db.prepare('SELECT id, desired_state FROM sys_nodes ORDER BY id').raw().all();
    expect(states).toEqual([
      ['n-1', 'terminated'],
      ['n-2', 'terminated'],
      ['n-3', 'running'],
      ['n-new', 'running'],
    ]);
  });

  it('does not count nodes already marked, nor rows deleted outright', () => {
    run("DELETE FROM sys_nodes WHERE id = 'n-1'");
    const res = run('DELETE FROM sys_nodes');
    // n-2 and n-3 are marked now; n-1 was already; n-new never launched and is deleted for real.
    expect(res).toMatchObject({ changes: 1, markedForTermination: 2 });
  });

  it('leaves other writes as they were, without the field', () => {
    const res = run("UPDATE sys_nodes SET labels = '{\"a\": 1}' WHERE id = 'n-3'");
    expect(res).toEqual({ columns: [], rows: [], changes: 1 });
  });

  it('counts an UPDATE that sets desired_state too, and rolls everything back when the statement fails', () => {
    expect(run("UPDATE sys_nodes SET desired_state = 'terminated' WHERE id = 'n-3'")).toMatchObject({
      markedForTermination: 1,
    });
    expect(() => run("UPDATE sys_nodes SET desired_state = 'gone'")).toThrow(/desired_state must be one of/);
    expect(db.prepare("SELECT count(*) FROM sys_nodes WHERE desired_state = 'running'").pluck().get()).toBe(
      3,
    );
    expect(db.inTransaction).toBe(false);
  });
});

describe('writes that cannot run in a transaction', () => {
  it('runs VACUUM as it comes', () => {
    expect(run('VACUUM')).toEqual({ columns: [], rows: [], changes: 0 });
    expect(db.inTransaction).toBe(false);
  });
});
