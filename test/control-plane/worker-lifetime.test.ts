import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../engine/index.js';
import { startUp } from '../support/cli.js';
import type { ApiBody } from '../support/control-plane.js';
import { exited } from '../support/crash-loop.js';
import { killProcessesNaming, processesNaming } from '../support/processes.js';
import { tempDir, waitFor } from '../support/tmp.js';

const tmps: ReturnType<typeof tempDir>[] = [];
afterEach(() => {
  for (const t of tmps.splice(0)) {
    killProcessesNaming(t.dir);
    t.cleanup();
  }
});

async function sql(url: string, token: string, body: object): Promise<{ status: number; body: ApiBody }> {
  const res = await fetch(new URL('/v1/sql', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as ApiBody };
}

/** A write that runs for minutes: a million rows of 1 KiB random bytes per pass. */
const LONG_WRITE =
  'INSERT INTO big (b) SELECT randomblob(1024) FROM (WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r LIMIT 100000000) SELECT n FROM r)';

describe('SQL workers and their control plane', () => {
  it('leave no worker behind when the control plane is SIGKILLed mid-write; a restart succeeds at once', async () => {
    const tmp = tempDir('infrabase-lifetime-');
    tmps.push(tmp);
    const args = ['--data-dir', tmp.dir, '--port', '0', '--log-level', 'silent'];
    const first = await startUp(args, { env: { INFRABASE_MESH_MODE: 'off' } });
    const tokens = JSON.parse(readFileSync(join(tmp.dir, 'tokens.json'), 'utf8'));
    expect((await sql(first.url, tokens.admin, { sql: 'CREATE TABLE big (b BLOB)' })).status).toBe(200);
    const workers = processesNaming(tmp.dir).filter((pid) => pid !== first.child.pid);
    expect(workers.length).toBeGreaterThanOrEqual(2);

    const write = sql(first.url, tokens.admin, { sql: LONG_WRITE, timeoutMs: 120_000 }).catch((e) => e);
    // The write is under way once the WAL grows.
    await waitFor(() => statSync(join(tmp.dir, 'infrabase.db-wal')).size > 4 * 1024 * 1024, 20_000, 20);
    first.child.kill('SIGKILL');
    await exited(first.child);
    await write;
    // Each worker notices within its watch interval (100 ms); allow for a loaded machine.
    await waitFor(() => processesNaming(tmp.dir).length === 0, 5_000, 20);

    const second = await startUp(args, { env: { INFRABASE_MESH_MODE: 'off' } });
    try {
      const insert = await sql(second.url, tokens.admin, {
        sql: "INSERT INTO big (b) VALUES (X'01')",
        timeoutMs: 2_000,
      });
      expect(insert.status, JSON.stringify(insert.body)).toBe(200);
      expect(insert.body.changes).toBe(1);
      // The killed write is rolled back, and the restart truncated the WAL it left.
      const count = await sql(second.url, tokens.read, { sql: 'SELECT count(*) FROM big' });
      expect(count.body.rows).toEqual([[1]]);
      expect(statSync(join(tmp.dir, 'infrabase.db-wal')).size).toBeLessThan(4 * 1024 * 1024);
    } finally {
      await second.stop();
    }
  }, 90_000);

  it('ends a write at its time limit: answered TIMEOUT and the lock released within the limit + 1 s', async () => {
    const tmp = tempDir('infrabase-lifetime-');
    tmps.push(tmp);
    const args = ['--data-dir', tmp.dir, '--port', '0', '--log-level', 'silent'];
    const cp = await startUp(args, { env: { INFRABASE_MESH_MODE: 'off' } });
    try {
      const tokens = JSON.parse(readFileSync(join(tmp.dir, 'tokens.json'), 'utf8'));
      await sql(cp.url, tokens.admin, { sql: 'CREATE TABLE big (b BLOB)' });
      const started = performance.now();
      const answer = await sql(cp.url, tokens.admin, { sql: LONG_WRITE, timeoutMs: 1_500 });
      expect(answer.status).toBe(504);
      expect(answer.body.error?.code).toBe('TIMEOUT');
      // Another connection that does not wait for locks can write now.
      const db = openDatabase(join(tmp.dir, 'infrabase.db'), { busyTimeoutMs: 0 });
      try {
        await waitFor(
          () => {
            db.prepare("INSERT INTO big (b) VALUES (X'02')").run();
            return true;
          },
          2_500,
          20,
        );
      } finally {
        db.close();
      }
      expect(performance.now() - started).toBeLessThan(1_500 + 1_000);
    } finally {
      await cp.stop();
    }
  }, 60_000);
});
