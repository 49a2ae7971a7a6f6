/**
 * Reconciler benchmarks with the real EC2 SDK against the EC2 test server (in this process):
 * 1,000 rows at 50 ms latency per call; 200 rows under a throttling bucket of 20 tokens refilling 2/s; and the
 * latency from a breaching `sys_metrics` insert to the RunInstances call (policy trigger → sys_nodes row →
 * change feed polling every 10 ms → reconciler → create). Run from the repo root:
 * `npx tsc -p . && node dist/test/bench/reconcile-cloud.js`; writes the `reconciler-cloud` section of
 * docs/benchmarks.md. `INFRABASE_BENCH_ROWS` (default 1000) and `INFRABASE_BENCH_LATENCY_SAMPLES` (default 30)
 * shrink it.
 */
import { join } from 'node:path';
import { Reconciler, scalingPoliciesExtension } from '../../autoinfra/index.js';
import { ChangeFeed, openDatabase, seededRandom, systemClock } from '../../engine/index.js';
import { startCloud } from '../autoinfra/cloud/support/clouds.js';
import { converge, serverCloud } from '../autoinfra/support/converge.js';
import { tempDir, waitFor } from '../support/tmp.js';
import { machineLine, writeSection } from './metrics-report.js';

const ROWS = Number(process.env.INFRABASE_BENCH_ROWS ?? 1000);
const LATENCY_SAMPLES = Number(process.env.INFRABASE_BENCH_LATENCY_SAMPLES ?? 30);
const mb = (b: number) => (b / 1024 / 1024).toFixed(0);
const lines: string[] = [];

{
  const cloud = await startCloud('aws', { latencyMs: 50 });
  try {
    const r = await converge(serverCloud(cloud), {
      rows: ROWS,
      timeoutMs: 600_000,
      settings: { concurrency: 64, rateLimit: { burst: 100, perSecond: 100 } },
    });
    lines.push(
      `- ${ROWS} rows, EC2 test server with 50 ms latency per call, concurrency 64, client bucket 100 + 100/s: ` +
        `all \`running\` (instance recorded, \`booting\`) after ${(r.ms / 1000).toFixed(1)} s; ` +
        `${(r.apiCalls / r.rows).toFixed(2)} API calls per launch (${r.createCalls} RunInstances); ` +
        `${r.rowsWithExactlyOneInstance}/${r.rows} rows with exactly one instance; peak RSS ${mb(r.peakRssBytes)} MB ` +
        '(reconciler, SDK and test server in one process).',
    );
  } finally {
    await cloud.close();
  }
}

{
  const cloud = await startCloud('aws', { throttle: { burst: 20, perSecond: 2 } });
  try {
    const r = await converge(serverCloud(cloud), {
      rows: 200,
      timeoutMs: 600_000,
      settings: { rateLimit: { burst: 20, perSecond: 2 } },
    });
    lines.push(
      '- 200 rows, EC2 test server throttling with a bucket of 20 tokens refilling 2/s (client bucket the same): ' +
        `converged in ${(r.ms / 1000).toFixed(1)} s; ${(r.apiCalls / r.rows).toFixed(2)} API calls per launch ` +
        `(throttled ones included; ${r.createCalls} RunInstances); ${r.rowsWithExactlyOneInstance}/${r.rows} rows with ` +
        `exactly one instance, ${r.orphans} orphans. Booting rows are re-checked with a doubling delay up to the ` +
        'heartbeat timeout (they polled every second before, 111 calls per launch at 20/s).',
    );
  } finally {
    await cloud.close();
  }
}

{
  const tmp = tempDir();
  const cloud = await startCloud('aws');
  const path = join(tmp.dir, 'cp.db');
  const db = openDatabase(path, { migrate: true, extensions: [scalingPoliciesExtension] });
  const feed = new ChangeFeed(path, { pollIntervalMs: 10 }).start();
  const reconciler = new Reconciler({
    db,
    feed,
    providers: [cloud.provider('c1')],
    clusterId: 'c1',
    clock: systemClock,
    random: seededRandom(5),
    resyncIntervalMs: 60_000,
    userData: (row, token) => `boot ${row.id} ${token}`,
  });
  reconciler.start();
  const latencies: number[] = [];
  try {
    const policy = db.prepare(
      `INSERT INTO sys_scaling_policies (name, metric, label_match, aggregate, window_ms, comparison, threshold,
         action, step, min_nodes, max_nodes, cooldown_ms, node_template)
       VALUES (?, ?, '{}', 'avg', 60000, '>', 0.8, 'scale_out', 1, 0, 1, 600000, ?)`,
    );
    const sample = db.prepare(
      `INSERT INTO sys_metrics (ts, node_id, name, labels, value) VALUES (?, NULL, ?, '{}', 0.95)`,
    );
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const metric = `infrabase_bench_cpu_${i}_ratio`;
      policy.run(
        `bench-${i}`,
        metric,
        JSON.stringify({
          provider: 'aws',
          instance_type: 't3.small',
          zone: 'us-east-1a',
          labels: { pool: `p${i}` },
        }),
      );
      const before = cloud.createCalls().length;
      const t0 = performance.now();
      sample.run(Date.now(), metric);
      await waitFor(() => cloud.createCalls().length > before, 10_000, 1);
      latencies.push(performance.now() - t0);
    }
  } finally {
    await reconciler.stop();
    feed.close();
    db.close();
    await cloud.close();
    tmp.cleanup();
  }
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
  lines.push(
    `- Breaching \`sys_metrics\` insert → RunInstances received by the EC2 test server (policy trigger inserts the row in the ` +
      `insert's transaction; change feed polls every 10 ms), ${latencies.length} samples: p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, ` +
      `max ${q(1)} ms (target p50 < 100 ms).`,
  );
}

writeSection(
  'reconciler-cloud',
  [
    '## Reconciler against the EC2 test server (real SDK)',
    '',
    machineLine(),
    'Produced by `node dist/test/bench/reconcile-cloud.js` (run from the repo root).',
    '',
    ...lines,
  ].join('\n'),
);
process.exit(0);
