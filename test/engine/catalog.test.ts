import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../engine/index.js';

let db: Database;
beforeEach(() => {
  db = openDatabase(':memory:', { migrate: true });
});
afterEach(() => db.close());

const node = (id: string) =>
  db.prepare('SELECT * FROM sys_nodes WHERE id = ?').get(id) as Record<string, unknown> | undefined;

describe('sys_nodes', () => {
  it('fills defaults: generated id, local provider, pending, running, timestamps in ms', () => {
    const before = Date.now();
    db.prepare('INSERT INTO sys_nodes DEFAULT VALUES').run();
    const row = db.prepare('SELECT * FROM sys_nodes').get() as Record<string, unknown>;
    expect(row.id).toMatch(/^n-[0-9a-f]{12}$/);
    expect(row).toMatchObject({
      provider: 'local',
      role: 'data',
      desired_state: 'running',
      status: 'pending',
    });
    expect(row.created_at as number).toBeGreaterThanOrEqual(before - 5);
    expect(row.created_at as number).toBeLessThanOrEqual(Date.now() + 5);
  });

  it('DELETE of a live row only marks it desired_state=terminated (the finalizer)', () => {
    db.prepare("INSERT INTO sys_nodes (id, idempotency_token, status) VALUES ('n-1', 'tok', 'ready')").run();
    const info = db.prepare("DELETE FROM sys_nodes WHERE id = 'n-1'").run();
    expect(info.changes).toBe(0);
    expect(node('n-1')).toMatchObject({ desired_state: 'terminated', status: 'ready' });
  });

  it('DELETE of a terminated row really deletes it', () => {
    db.prepare(
      "INSERT INTO sys_nodes (id, idempotency_token, status) VALUES ('n-1', 'tok', 'terminated')",
    ).run();
    db.prepare("DELETE FROM sys_nodes WHERE id = 'n-1'").run();
    expect(node('n-1')).toBeUndefined();
  });

  it('DELETE of a row that never reached a cloud call deletes it at once', () => {
    db.prepare("INSERT INTO sys_nodes (id) VALUES ('n-1')").run();
    db.prepare("DELETE FROM sys_nodes WHERE id = 'n-1'").run();
    expect(node('n-1')).toBeUndefined();
  });

  it.each([
    [
      "provider = 'azure'",
      "INSERT INTO sys_nodes (provider) VALUES ('azure')",
      /provider must be one of: local, aws, gcp/,
    ],
    [
      "desired_state = 'maybe'",
      "INSERT INTO sys_nodes (desired_state) VALUES ('maybe')",
      /desired_state must be one of: running, terminated/,
    ],
    ["role = 'gpu'", "INSERT INTO sys_nodes (role) VALUES ('gpu')", /role must be one of: data, compute/],
    ['labels not JSON', "INSERT INTO sys_nodes (labels) VALUES ('x')", /labels must be a JSON object/],
    [
      'attempts not a number',
      "INSERT INTO sys_nodes (attempts) VALUES ('many')",
      /cannot store TEXT value in INTEGER column sys_nodes.attempts/,
    ],
  ])('rejects %s with a message naming the column and the accepted values', (_what, sql, message) => {
    expect(() => db.prepare(sql).run()).toThrow(message);
    expect(db.prepare('SELECT count(*) FROM sys_nodes').pluck().get()).toBe(0);
  });
});

describe('sys_models', () => {
  it('numbers versions max+1 per name when none is given', () => {
    const insert = db.prepare("INSERT INTO sys_models (name, onnx) VALUES (?, x'00')");
    insert.run('a');
    insert.run('a');
    insert.run('b');
    db.prepare("INSERT INTO sys_models (name, version, onnx) VALUES ('a', 7, x'00')").run();
    insert.run('a');
    const versions = db.prepare('SELECT name, version FROM sys_models ORDER BY id').raw().all();
    expect(versions).toEqual([
      ['a', 1],
      ['a', 2],
      ['b', 1],
      ['a', 7],
      ['a', 8],
    ]);
  });

  it('rejects a duplicate (name, version)', () => {
    db.prepare("INSERT INTO sys_models (name, version, onnx) VALUES ('a', 1, x'00')").run();
    expect(() =>
      db.prepare("INSERT INTO sys_models (name, version, onnx) VALUES ('a', 1, x'00')").run(),
    ).toThrow(/UNIQUE constraint failed: sys_models.name, sys_models.version/);
  });
});

describe('sys_changes', () => {
  it('records inserts, meaningful updates and deletes, but not heartbeat-only updates', () => {
    db.prepare("INSERT INTO sys_nodes (id) VALUES ('n-1')").run();
    db.prepare("UPDATE sys_nodes SET last_heartbeat_at = 5 WHERE id = 'n-1'").run();
    db.prepare("UPDATE sys_nodes SET status = 'ready' WHERE id = 'n-1'").run();
    db.prepare("DELETE FROM sys_nodes WHERE id = 'n-1'").run();
    const log = db.prepare('SELECT tbl, row_key, op FROM sys_changes ORDER BY id').raw().all();
    expect(log).toEqual([
      ['sys_nodes', 'n-1', 'insert'],
      ['sys_nodes', 'n-1', 'update'],
      ['sys_nodes', 'n-1', 'delete'],
    ]);
  });
});
