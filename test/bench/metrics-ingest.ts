/**
 * sys_metrics ingest rate with autoscaling policies active (target ≥ 200,000 samples/s in batches).
 * Run: `npx tsc -p . && node dist/test/bench/metrics-ingest.js`. Writes its section of docs/benchmarks.md.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { scalingPoliciesExtension } from '../../autoinfra/policies/index.js';
import { type Database, openDatabase } from '../../engine/index.js';
import { type MetricSample, writeSamples } from '../../metrics/index.js';
import { tempDir } from '../support/tmp.js';
import { machineLine, writeSection } from './metrics-report.js';

const BATCH = 5_000;
const NODES = 100;
const REPEATS = 5;
const T0 = 1_700_000_000_000;
/** 5 minutes of 2-second rounds: fills the policies' windows before timing. */
const WARM_ROUNDS = 150;
const NAMES = [
  'infrabase_node_cpu_utilization_ratio',
  'infrabase_node_memory_used_bytes',
  'infrabase_node_memory_total_bytes',
  'infrabase_node_load1',
  'infrabase_node_queries_per_second',
  'infrabase_node_process_resident_memory_bytes',
  'infrabase_sql_statements_total',
  'infrabase_predict_rows_total',
  'infrabase_reconcile_total',
  'infrabase_cloud_api_calls_total',
];

interface Scenario {
  name: string;
  policies: (db: Database) => void;
  /** The metric names of the batch, in rotation. */
  names: readonly string[];
  /** Samples timed. */
  samples: number;
  /** Rows per transaction; default {@link BATCH}. */
  batch?: number;
}

const policy = (
  db: Database,
  name: string,
  action: string,
  threshold: number,
  extra = '',
  aggregate = 'avg',
) =>
  db
    .prepare(
      `INSERT INTO sys_scaling_policies (name, metric, aggregate, window_ms, comparison, threshold, action, min_nodes,
         max_nodes, cooldown_ms, node_template ${extra ? ', last_action_at' : ''})
       VALUES (?, 'infrabase_node_cpu_utilization_ratio', ?, 300000, ?, ?, ?, 0, 10, 300000, '{"labels":{"pool":"web"}}'
         ${extra ? `, ${extra}` : ''})`,
    )
    .run(name, aggregate, action === 'scale_out' ? '>' : '<', threshold, action);

/** The two policies of the evaluating scenarios; `lastActionAt` (an SQL literal) puts them in cooldown. */
function scaleOutAndIn(db: Database, lastActionAt = ''): void {
  policy(db, 'cpu-high', 'scale_out', 0.9, lastActionAt);
  policy(db, 'cpu-low', 'scale_in', 0.05, lastActionAt);
}

const scenarios: Scenario[] = [
  { name: 'no policies', policies: () => {}, names: NAMES, samples: 500_000 },
  {
    name: '2 policies; samples of unwatched names only',
    policies: (db) => scaleOutAndIn(db),
    names: NAMES.slice(1),
    samples: 500_000,
  },
  {
    name: '2 policies in cooldown; 10 names, 1 watched',
    policies: (db) => scaleOutAndIn(db, '9000000000000'),
    names: NAMES,
    samples: 500_000,
  },
  {
    name: '2 policies evaluating (not breaching); 10 names, 1 watched, 100 nodes, 5-min window',
    policies: (db) => scaleOutAndIn(db),
    names: NAMES,
    samples: 500_000,
  },
  {
    name: 'the same, 20,000 rows per transaction',
    policies: (db) => scaleOutAndIn(db),
    names: NAMES,
    samples: 500_000,
    batch: 20_000,
  },
  {
    // the scale-in one counts 2 of 7 watched samples (values 0.35 and 0.36) as over its threshold
    name: '2 p95 policies evaluating (not breaching); same load, 2 in 7 watched samples over one threshold',
    policies: (db) => {
      policy(db, 'cpu-p95-high', 'scale_out', 0.9, '', 'p95');
      policy(db, 'cpu-p95-low', 'scale_in', 0.35, '', 'p95');
    },
    names: NAMES,
    samples: 500_000,
  },
];

/** Heartbeat rounds: every node reports every name at the same ts, rounds 2 s apart. */
function rounds(names: readonly string[], first: number, count: number): MetricSample[] {
  const out: MetricSample[] = [];
  for (let r = first; r < first + count; r++) {
    for (const name of names) {
      for (let node = 0; node < NODES; node++) {
        out.push({
          ts: T0 + r * 2_000,
          nodeId: `n-${node}`,
          name,
          labels: '{}',
          value: 0.3 + ((r + node) % 7) / 100,
        });
      }
    }
  }
  return out;
}

function run(scenario: Scenario): { rate: number; cpuRate: number; evaluated: number; samples: number } {
  const tmp = tempDir('infrabase-bench-ingest-');
  const db = openDatabase(`${tmp.dir}/infrabase.db`, {
    migrate: true,
    extensions: [scalingPoliciesExtension],
  });
  try {
    // fill the policies' 5-minute windows first (untimed): 150 rounds of the watched metric
    writeSamples(db, rounds([NAMES[0]], 0, WARM_ROUNDS));
    scenario.policies(db);
    const perRound = NODES * scenario.names.length;
    const total = Math.floor(scenario.samples / perRound);
    const samples = rounds(scenario.names, WARM_ROUNDS, total);
    const started = performance.now();
    const cpu = process.cpuUsage();
    const batch = scenario.batch ?? BATCH;
    for (let s = 0; s < samples.length; s += batch) writeSamples(db, samples.slice(s, s + batch));
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const cpuSeconds = (used.user + used.system) / 1e6;
    const evaluated = db.prepare('SELECT count(*) FROM sys_scaling_events').pluck().get() as number;
    return {
      rate: samples.length / seconds,
      cpuRate: samples.length / cpuSeconds,
      evaluated,
      samples: samples.length,
    };
  } finally {
    db.close();
    tmp.cleanup();
  }
}

const loadBefore = loadavg();
// repeats interleave the scenarios, so a burst of other work on the machine does not hit one scenario only
const results = scenarios.map(() => [] as ReturnType<typeof run>[]);
for (let repeat = 0; repeat < REPEATS; repeat++) {
  scenarios.forEach((scenario, i) => {
    results[i].push(run(scenario));
  });
}
const loadAfter = loadavg();
const lines = scenarios.map((scenario, i) => {
  const runs = results[i];
  const best = runs.reduce((a, b) => (b.rate > a.rate ? b : a));
  const rates = runs.map((r) => Math.round(r.rate).toLocaleString('en-US')).join(' / ');
  console.log(scenario.name, rates);
  return `| ${scenario.name} | ${best.samples.toLocaleString('en-US')} | **${Math.round(best.rate).toLocaleString('en-US')}** | ${rates} | ${Math.round(best.cpuRate).toLocaleString('en-US')} | ${best.evaluated} |`;
});
const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(', ');
const bestRate = (i: number) => Math.max(...results[i].map((r) => r.rate));
const TARGET = 200_000;
const belowTarget = scenarios.filter((_, i) => bestRate(i) < TARGET);
const margin = (i: number) => `${Math.round((bestRate(i) / TARGET - 1) * 100)}%`;
const verdict =
  belowTarget.length === 0
    ? `Target met: every scenario's best run is above 200,000 samples/s, with avg policies evaluating by
${margin(3)} and p95 ones by ${margin(5)}.`
    : `Target NOT met in this run for: ${belowTarget.map((s) => s.name).join('; ')}.`;

writeSection(
  'metrics-ingest',
  `## sys_metrics ingest with autoscaling policies active

${machineLine()} Load average (1, 5, 15 min) before: ${load(loadBefore)}; after: ${load(loadAfter)}.
Other engineers' builds and benchmarks shared the 2 CPUs: each scenario ran ${REPEATS} times, the scenarios
interleaved, and the best run is reported with all runs listed.
\`node dist/test/bench/metrics-ingest.js\`: samples written with \`writeSamples\` (the sampler's and heartbeat's
path: 200-row INSERT statements) into a file database (WAL, synchronous=FULL) in batches of
${BATCH.toLocaleString('en-US')} rows per transaction, as heartbeat rounds of ${NODES} nodes (every node reports
every name at the same ts, 2 s apart), after 5 minutes of CPU samples were written so the policies' windows are
full. Target: at least 200,000 samples/s.

| scenario | samples timed | best samples/s (wall) | runs | samples per CPU-second | scaling events |
|---|---:|---:|---|---:|---:|
${lines.join('\n')}

"samples per CPU-second" divides by this process's user+system CPU time, which a loaded machine inflates less
than wall time (fsync waits are not counted).

What changed to reach the target (see docs/metrics.md, *Cost*): \`sys_metrics\` has one index, \`(ts)\`,
appended at its right edge (catalog migration 5 dropped \`(name, ts)\`); policy windows read
1-second buckets (count, compensated sum, min, max per metric, second and label set) kept by the triggers, plus
the raw samples of the window's two partial seconds, instead of every sample of the window (15,000 here); a p95
policy decides from its own per-second counts of samples over its threshold (p95 > t exactly when at least its rank from
the top, ~5% of the window, is), reading its window's samples only to record the value of a breach; and the trigger work is
staged so a statement runs only when needed (each costs ~1 µs per firing even when it changes nothing).

Where the time goes (CPU per sample, measured separately on the same machine with throwaway variants of the
table): the INSERT itself with better-sqlite3's parameter binding ~1.5 µs, the \`(ts)\` index ~0.3 µs (with the
former \`(name, ts)\` ~2.8 µs; a \`(ts, name)\` index, tried too, ~1 µs), the name and labels CHECK constraints ~0.8 µs (the name GLOB is most of it; no
equally strict expression measured cheaper), the policies' gate trigger ~0.3 µs; a watched sample ~1.9 µs more
(its bucket UPDATE and one hand-over UPDATE), also in cooldown; an evaluation of the two avg policies ~0.16 ms,
i.e. ~0.16 µs per sample at one evaluation per 1,000 samples. Wall time adds the commit's fsync
(synchronous=FULL), ~0.4 µs per sample at 5,000 rows per transaction (wall rate against CPU rate above). At
20,000 rows per transaction a quarter of the commits remain; on this shared machine the difference between the
two batch sizes stayed within the run-to-run spread.

Before the counts, a p95 evaluation read its whole window through the \`(ts)\` index (the samples of all names in
it, 150,000 rows here, ~9 ms per evaluation) and this load ran at 76,330 samples/s. Keeping the watched samples
in a table indexed by value instead, tried too, reached about twice that: every sample lands at a random place
in the value index, and a commit then writes each page it touched to the WAL (~25 µs of CPU per row at 500 rows
per transaction, against ~3 µs without the index).

${verdict}`,
);
