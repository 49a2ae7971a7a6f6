import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiClient, readTokens, TOKENS_FILE } from '../../control-plane/index.js';
import { loadCsv } from '../../control-plane/tables/index.js';
import { startUp } from '../support/cli.js';
import { stopLocalAgents } from '../support/local-agents.js';
import { tempDir, waitFor } from '../support/tmp.js';
import { ADULT_CSV, ADULT_FEATURES, ADULT_SQL } from './cluster.js';

const tmp = tempDir('infrabase-resume-');
// A free Postgres port, since the fixed HTTP port would give it 5433.
const env = { INFRABASE_PG_PORT: '0' };

afterAll(async () => {
  await stopLocalAgents(tmp.dir);
  tmp.cleanup();
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('a control plane SIGKILLed during a job', () => {
  it('resumes from the last completed round after a restart and never redoes a round', async () => {
    const port = String(await freePort());
    const args = ['--data-dir', tmp.dir, '--port', port, '--log-level', 'silent'];
    let up = await startUp(args, { env });
    try {
      const api = new ApiClient(up.url, readTokens(join(tmp.dir, TOKENS_FILE)).admin);
      await api.sql("INSERT INTO sys_nodes (id, role) VALUES ('r1', 'data'), ('r2', 'data'), ('r3', 'data')");
      await waitFor(
        async () => (await api.sql("SELECT count(*) FROM sys_nodes WHERE status = 'ready'")).rows[0][0] === 3,
        30_000,
        100,
      );
      await loadCsv(api, 'adult', ADULT_CSV);
      const { rows } = await api.sql(
        // 60 local epochs (~8.7k rows a node) make rounds slow enough (~0.1-0.3 s) for the kill to land mid-job.
        `INSERT INTO sys_training_jobs (model_name, training_sql, label_column, feature_columns, rounds, learning_rate,
           local_epochs)
         VALUES ('adult_resumed', ?, 'y', ?, 12, 0.05, 60) RETURNING id`,
        [ADULT_SQL, JSON.stringify(ADULT_FEATURES)],
      );
      const id = rows[0][0] as number;
      const roundRows = async () =>
        (
          await api.sql('SELECT round, created_at FROM sys_training_rounds WHERE job_id = ? ORDER BY round', [
            id,
          ])
        ).rows as [number, number][];
      await waitFor(async () => (await roundRows()).length >= 3, 60_000, 20);
      up.child.kill('SIGKILL');
      await new Promise((r) => up.child.once('exit', r));

      up = await startUp(args, { env });
      const before = await roundRows();
      expect(before.length).toBeGreaterThanOrEqual(3);
      expect(before.length).toBeLessThan(12);
      const status = async () =>
        (await api.sql('SELECT status, model_version FROM sys_training_jobs WHERE id = ?', [id])).rows[0];
      await waitFor(async () => (await status())[0] === 'succeeded', 90_000, 100);
      const after = await roundRows();
      expect(after.map((r) => r[0])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      // The rounds recorded before the kill are the same rows: not redone.
      expect(after.slice(0, before.length)).toEqual(before);
      expect((await status())[1]).toBe(1);
    } finally {
      await up.stop();
    }
  });
});
