/**
 * Query throughput with the metrics sampler on versus off (target: under 5% overhead).
 * Run: `npx tsc -p . && node dist/test/bench/metrics-sampler-overhead.js`. Writes its section of
 * docs/benchmarks.md.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { openDatabase } from '../../engine/index.js';
import {
  createRegistry,
  MetricsSampler,
  nodesMetrics,
  predictMetrics,
  reconcileMetrics,
  sqlMetrics,
} from '../../metrics/index.js';
import { tempDir } from '../support/tmp.js';
import { machineLine, writeSection } from './metrics-report.js';

const RUN_MS = 4_000;
const PAIRS = 4;

const tmp = tempDir('infrabase-bench-sampler-');
const db = openDatabase(`${tmp.dir}/infrabase.db`, { migrate: true });
db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, customer INTEGER, amount REAL)');
db.transaction(() => {
  const ins = db.prepare('INSERT INTO orders (customer, amount) VALUES (?, ?)');
  for (let i = 0; i < 100_000; i++) ins.run(i % 1000, (i * 7919) % 1000);
})();
db.exec('CREATE INDEX orders_customer ON orders(customer)');
for (let i = 0; i < 20; i++) {
  db.prepare("INSERT INTO sys_nodes (id, status) VALUES (?, 'ready')").run(`n-${i}`);
}

// a registry as the control plane would have it: process metrics plus the modules' declarations
const registry = createRegistry();
const sql = sqlMetrics(registry);
nodesMetrics(registry, db);
const predict = predictMetrics(registry);
const reconcile = reconcileMetrics(registry);
for (const kind of ['read', 'write'] as const) sql.statements.inc({ kind, outcome: 'ok' });
predict.calls.inc({ model: 'fraud', outcome: 'ok' });
reconcile.reconciles.inc({ action: 'create', result: 'ok' });

const query = db.prepare('SELECT count(*), sum(amount) FROM orders WHERE customer = ?');

/** Runs point-aggregate queries for RUN_MS, yielding to the event loop every 50 (as an HTTP server would). */
async function measure(): Promise<number> {
  let n = 0;
  const end = performance.now() + RUN_MS;
  while (performance.now() < end) {
    for (let i = 0; i < 50; i++) {
      const started = performance.now();
      query.get(n % 1000);
      sql.duration.observe({ kind: 'read' }, (performance.now() - started) / 1000);
      n++;
    }
    await yieldToLoop();
  }
  return n / (RUN_MS / 1000);
}

async function withSampler(intervalMs: number | null): Promise<number> {
  if (intervalMs === null) return measure();
  const sampler = new MetricsSampler({ db, registry, intervalMs });
  sampler.start();
  try {
    return await measure();
  } finally {
    await sampler.stop();
  }
}

const results: { interval: number; off: number[]; on: number[] }[] = [];
for (const interval of [5_000, 250]) {
  const off: number[] = [];
  const on: number[] = [];
  for (let p = 0; p < PAIRS; p++) {
    off.push(await withSampler(null));
    on.push(await withSampler(interval));
  }
  results.push({ interval, off, on });
  console.log(interval, off, on);
}
const perSample = db.prepare('SELECT count(*) FROM sys_metrics GROUP BY ts LIMIT 1').pluck().get() as number;
db.close();
tmp.cleanup();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const lines = results.map(({ interval, off, on }) => {
  const overhead = (1 - median(on) / median(off)) * 100;
  return `| ${interval.toLocaleString('en-US')} ms | ${fmt(median(off))} | ${fmt(median(on))} | ${overhead.toFixed(1)}% |`;
});

writeSection(
  'metrics-sampler',
  `## Query throughput with the metrics sampler on versus off

${machineLine()} Load average while measuring: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(', ')}.
\`node dist/test/bench/metrics-sampler-overhead.js\`: indexed point-aggregate queries over a 100,000-row table on
the main connection for ${RUN_MS / 1000} s, yielding to the event loop every 50 queries and observing each in the
SQL latency histogram; alternated ${PAIRS} times with the sampler off and on (medians reported). The sampler
writes the control plane's registry (process metrics plus SQL, PREDICT, reconcile and the nodes gauge read
from \`sys_nodes\`): ${perSample} rows per sample, one transaction each. The default interval is 5 s; 250 ms is a
stress setting. Target: under 5% overhead.

| sampler interval | queries/s off | queries/s on | overhead |
|---|---:|---:|---:|
${lines.join('\n')}

Overhead below the run-to-run noise of a shared machine shows up as a small or negative figure.`,
);
