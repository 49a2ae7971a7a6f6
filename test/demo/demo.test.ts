import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DemoSummary } from '../../control-plane/demo/index.js';
import { runCli } from '../support/cli.js';
import { ADULT_CSV, EXAMPLES } from '../support/data.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('infrabase-demo-');
afterAll(() => tmp.cleanup());

describe('infrabase demo --exit', () => {
  it('runs every step from a clean data dir and leaves nothing running', async () => {
    const summaryPath = join(tmp.dir, 'summary.json');
    const res = await runCli(
      [
        'demo',
        '--adult',
        ADULT_CSV,
        '--trace',
        `${EXAMPLES}/timeseries/nab_cpu_utilization_asg_misconfiguration.csv`,
        '--port',
        '0',
        '--short',
        '--exit',
        '--summary',
        summaryPath,
      ],
      { cwd: tmp.dir, timeoutMs: 240_000 },
    );
    expect(res.stderr).not.toMatch(/^infrabase: /m);
    expect(res.code).toBe(0);
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as DemoSummary;

    // 1. three ready data nodes
    expect(summary.readyNodes).toEqual(['data-1', 'data-2', 'data-3']);
    expect(res.stdout).toMatch(/│ data-3 +│ local +│ data +│ ready +│/);
    // 2. a distributed table: all of Adult, the primaries (10 or 11 of 32 shards) on every node
    expect(res.stdout).toContain('32561 rows in table adult: 32 shards, 2 copies each');
    expect(Object.keys(summary.rowsPerNode).sort()).toEqual(['data-1', 'data-2', 'data-3']);
    for (const n of Object.values(summary.rowsPerNode)) expect(n).toBeGreaterThan((0.9 * 32_561) / 3);
    expect(Object.values(summary.rowsPerNode).reduce((a, b) => a + b, 0)).toBe(32_561);
    // 3. a succeeded job with a model version
    expect(summary.job.modelVersion).toBe(1);
    expect(res.stdout).toContain(`job ${summary.job.id} succeeded: model adult_income version 1`);
    // 4. PREDICT on every shard: accuracy above 80% on the hold-out
    expect(Object.keys(summary.accuracy.perNode).sort()).toEqual(['data-1', 'data-2', 'data-3']);
    expect(summary.accuracy.overall).toBeGreaterThan(0.8);
    expect(summary.accuracy.rows).toBeGreaterThan(6000);
    // 5. the trace scaled the pool out and back in
    expect(summary.scaling.scaleOut).toBeGreaterThanOrEqual(1);
    expect(summary.scaling.scaleIn).toBeGreaterThanOrEqual(1);
    // 6. a /metrics page promtool accepts
    const check = spawnSync('promtool', ['check', 'metrics'], { input: summary.metrics.page });
    expect(check.status, check.stderr?.toString()).toBe(0);
    expect(summary.metrics.page).toContain('infrabase_nodes{');
    // --exit: every node drained, terminated and its row removed, so no agent is left.
    expect(res.stdout).toContain('==> clean up');
    const agents = spawnSync('pgrep', ['-f', join(tmp.dir, 'infrabase-data')]);
    expect(agents.stdout.toString().trim()).toBe('');
  }, 240_000);
});
