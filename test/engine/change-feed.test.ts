import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Change, ChangeFeed, openDatabase } from '../../engine/index.js';
import { tempDir } from '../support/tmp.js';

let tmp: ReturnType<typeof tempDir>;
let feed: ChangeFeed | undefined;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => {
  feed?.close();
  tmp.cleanup();
});

describe('ChangeFeed', () => {
  it('delivers a write made by the sqlite3 shell within 100 ms', async () => {
    const path = join(tmp.dir, 'a.db');
    openDatabase(path, { migrate: true }).close();
    feed = new ChangeFeed(path).start();
    let startedAt = 0;
    const received = new Promise<{ change: Change; at: number }>((resolve) => {
      feed!.subscribe({
        tables: ['sys_nodes'],
        onChanges: (c) => resolve({ change: c[0], at: performance.now() }),
      });
    });
    const shellDone = new Promise<number>((resolve, reject) => {
      // The shell commits just before it exits; its exit is the latest the commit can have happened.
      startedAt = performance.now();
      execFile('sqlite3', [path, "INSERT INTO sys_nodes (id) VALUES ('n-shell')"], (err) =>
        err ? reject(err) : resolve(performance.now()),
      );
    });
    const [{ change, at }, exitedAt] = await Promise.all([received, shellDone]);
    expect(change).toMatchObject({ table: 'sys_nodes', key: 'n-shell', op: 'insert' });
    // The shell commits before it exits, so delivery within 100 ms of its exit bounds the latency.
    expect(at - exitedAt).toBeLessThan(100);
    expect(at).toBeGreaterThan(startedAt);
  });

  it('only delivers the tables a subscriber asked for', async () => {
    const path = join(tmp.dir, 'a.db');
    const db = openDatabase(path, { migrate: true });
    feed = new ChangeFeed(path);
    const seen: string[] = [];
    feed.subscribe({ tables: ['sys_models'], onChanges: (cs) => seen.push(...cs.map((c) => c.table)) });
    db.prepare("INSERT INTO sys_nodes (id) VALUES ('n-1')").run();
    db.prepare("INSERT INTO sys_models (name, onnx) VALUES ('m', x'00')").run();
    feed.poll();
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set(['sys_models']));
    db.close();
  });
});

describe('ChangeFeed after pruning', () => {
  it('asks subscribers to resync when entries were pruned before it read them', () => {
    const path = join(tmp.dir, 'a.db');
    const db = openDatabase(path, { migrate: true });
    feed = new ChangeFeed(path);
    let resyncs = 0;
    feed.subscribe({ tables: ['sys_nodes'], onChanges: () => {}, onResync: () => resyncs++ });
    db.prepare("INSERT INTO sys_nodes (id) VALUES ('n-1')").run();
    db.prepare("INSERT INTO sys_nodes (id) VALUES ('n-2')").run();
    db.prepare('DELETE FROM sys_changes').run();
    db.prepare("INSERT INTO sys_nodes (id) VALUES ('n-3')").run();
    feed.poll();
    expect(resyncs).toBe(1);
    db.close();
  });
});
