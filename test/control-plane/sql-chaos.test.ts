import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, seededRandom } from '../../engine/index.js';
import { startUp } from '../support/cli.js';
import { exited } from '../support/crash-loop.js';
import { killProcessesNaming, processesNaming } from '../support/processes.js';
import { generatedStatements } from '../support/statement-kinds.js';
import { tempDir, waitFor } from '../support/tmp.js';

/** SIGKILLs of the control plane (`INFRABASE_TEST_CHAOS_KILLS` to change it). */
const KILLS = Number(process.env.INFRABASE_TEST_CHAOS_KILLS ?? 20);
const tmp = tempDir('infrabase-chaos-');
afterAll(() => {
  killProcessesNaming(tmp.dir);
  tmp.cleanup();
});

async function post(url: string, token: string, sql: string, params?: unknown[]): Promise<number> {
  const res = await fetch(new URL('/v1/sql', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ sql, params, timeoutMs: 5_000 }),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('acknowledged writes through the SQL pool under chaos', () => {
  it(`keeps every acknowledged row over ${KILLS} SIGKILLs of the control plane while both tokens send every statement kind`, async () => {
    const random = seededRandom(13);
    const scratch = openDatabase(':memory:');
    const statements = generatedStatements(scratch, join(tmp.dir, 'other.db'));
    scratch.close();
    const acknowledged: number[] = [];
    let nextId = 1;
    let sent = 0;
    const refused = new Set<number>();
    const args = ['--data-dir', tmp.dir, '--port', '0', '--log-level', 'silent'];
    for (let k = 0; k < KILLS; k++) {
      const cp = await startUp(args, { env: { INFRABASE_MESH_MODE: 'off' } });
      const tokens = JSON.parse(readFileSync(join(tmp.dir, 'tokens.json'), 'utf8'));
      if (k === 0) {
        expect(await post(cp.url, tokens.admin, 'CREATE TABLE acked (id INTEGER PRIMARY KEY)')).toBe(200);
        expect(await post(cp.url, tokens.admin, 'CREATE TABLE t (x INTEGER)')).toBe(200);
      }
      let running = true;
      const writer = (async () => {
        while (running) {
          const id = nextId++;
          const status = await post(cp.url, tokens.admin, 'INSERT INTO acked (id) VALUES (?)', [id]).catch(
            () => 0,
          );
          if (status === 200) acknowledged.push(id);
        }
      })();
      const chaos = Array.from({ length: 2 }, async () => {
        while (running) {
          const s = statements[Math.floor(random() * statements.length)];
          const token = random() < 0.5 ? tokens.admin : tokens.read;
          const status = await post(cp.url, token, s.sql).catch(() => 0);
          sent++;
          if (status === 400 || status === 403) refused.add(status);
        }
      });
      await new Promise((r) => setTimeout(r, 200 + random() * 1_300));
      cp.child.kill('SIGKILL');
      await exited(cp.child);
      running = false;
      await Promise.all([writer, ...chaos]);
      // No SQL worker outlives its control plane (each checks every 100 ms; room for a loaded machine).
      await waitFor(() => processesNaming(tmp.dir).length === 0, 5_000, 20);
    }
    const db = openDatabase(join(tmp.dir, 'infrabase.db'));
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const stored = new Set(db.prepare('SELECT id FROM acked').pluck().all() as number[]);
      const lost = acknowledged.filter((id) => !stored.has(id));
      expect(acknowledged.length).toBeGreaterThan(KILLS);
      expect(sent).toBeGreaterThan(KILLS * 5);
      expect([...refused].sort()).toEqual([400, 403]);
      expect(lost).toEqual([]);
    } finally {
      db.close();
    }
  }, 600_000);
});
