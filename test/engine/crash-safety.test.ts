import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compiledPath, openDatabase, seededRandom } from '../../engine/index.js';
import { tempDir } from '../support/tmp.js';

const WRITER = compiledPath(import.meta.url, '../support/crash-writer.js');
const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** Runs the writer, kills it with SIGKILL after `killAfterMs` of writing, returns the acknowledged ids. */
function runAndKill(path: string, firstId: number, killAfterMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, path, String(firstId)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!timer && out.startsWith('ready\n')) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL')
        return reject(new Error(`writer exited on its own (${signal}): ${out.slice(-200)}`));
      // Only complete lines are acknowledgements; a torn last line was never fully written.
      const lines = out.split('\n').slice(1, -1);
      resolve(lines.map(Number));
    });
  });
}

describe('crash safety', () => {
  it('keeps every acknowledged commit and an intact database across 50 SIGKILLs at random moments', async () => {
    const path = join(tmp.dir, 'crash.db');
    const random = seededRandom(20261124);
    const acknowledged: number[] = [];
    let nextId = 1;
    for (let i = 0; i < 50; i++) {
      const ids = await runAndKill(path, nextId, 5 + Math.floor(random() * 60));
      acknowledged.push(...ids);
      const db = openDatabase(path);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const maxId = (db.prepare('SELECT coalesce(max(id), 0) FROM crash_rows').pluck().get() as number) ?? 0;
      const present = db
        .prepare('SELECT count(*) FROM crash_rows WHERE id <= ?')
        .pluck()
        .get(ids.at(-1) ?? 0) as number;
      db.close();
      // Every acknowledged id is present (ids are consecutive, so a count up to the last one proves it).
      if (ids.length > 0) expect(present).toBe(ids.at(-1));
      nextId = maxId + 1;
    }
    expect(acknowledged.length).toBeGreaterThan(50);
    const db = openDatabase(path);
    const stored = new Set(db.prepare('SELECT id FROM crash_rows').pluck().all() as number[]);
    db.close();
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
  });
});
