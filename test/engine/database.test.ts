import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase, SCHEMA_VERSION } from '../../engine/index.js';
import { tempDir } from '../support/tmp.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

describe('openDatabase', () => {
  it('sets WAL, synchronous=FULL and foreign keys on every connection, also when reopening a WAL file', () => {
    const path = join(tmp.dir, 'a.db');
    for (let i = 0; i < 3; i++) {
      const db = openDatabase(path, { migrate: true });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      db.close();
    }
    const ro = openDatabase(path, { readonly: true, role: 'watcher' });
    expect(ro.pragma('synchronous', { simple: true })).toBe(2);
    ro.close();
  });

  it('applies migrations once and records the version in user_version', () => {
    const path = join(tmp.dir, 'a.db');
    const db = openDatabase(path, { migrate: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(migrate(db)).toEqual([]);
    const tables = db
      .prepare("SELECT name FROM sqlite_schema WHERE type='table' AND name LIKE 'sys_%'")
      .pluck()
      .all();
    expect(tables).toEqual(
      expect.arrayContaining([
        'sys_nodes',
        'sys_models',
        'sys_metrics',
        'sys_scaling_policies',
        'sys_scaling_events',
        'sys_training_jobs',
        'sys_training_rounds',
      ]),
    );
    db.close();
  });

  it('refuses a database newer than this build', () => {
    const path = join(tmp.dir, 'a.db');
    const db = openDatabase(path, { migrate: true });
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openDatabase(path, { migrate: true })).toThrow(/newer than this infrabase build/);
  });

  it('writes a schema the sqlite3 shell can use', () => {
    const path = join(tmp.dir, 'a.db');
    openDatabase(path, { migrate: true }).close();
    const out = execFileSync('sqlite3', [
      path,
      "INSERT INTO sys_nodes (id) VALUES ('n-shell'); SELECT status FROM sys_nodes;",
    ]);
    expect(out.toString().trim()).toBe('pending');
  });
});
