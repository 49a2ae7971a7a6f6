import { writeFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import { InfrabaseError } from '../../engine/index.js';
import { followJob, formatRound } from '../cli/follow-job.js';
import { renderTable } from '../cli/format.js';
import { ApiClient } from '../client/index.js';
import type { Config } from '../config/index.js';
import { createLogger } from '../logger.js';
import { loadDistributedCsv } from '../tables/index.js';
import { type ControlPlane, startControlPlane } from '../up.js';
import {
  ADULT_FEATURES,
  ADULT_TABLE,
  ADULT_TRAINING_SQL,
  DATA_NODES,
  HOLDOUT_ACCURACY_SQL,
  MODEL_NAME,
  POLICIES_SQL,
  TRACE_METRIC,
  TRACE_OFFSET,
  TRACE_SAMPLES,
} from './scenario.js';
import { readTrace, retime } from './trace.js';

export interface DemoOptions {
  config: Config;
  /** UCI Adult CSV, gzipped when the name ends in .gz (`examples/tabular/adult.csv.gz`). */
  adult: string;
  /** NAB CPU trace CSV (`examples/timeseries/nab_cpu_utilization_asg_misconfiguration.csv`). */
  trace: string;
  /** Stop and clean up at the end instead of leaving the control plane running. */
  exit: boolean;
  /** Fewer training rounds. */
  short: boolean;
  /** Where to write a JSON summary of every step's outcome. */
  summary?: string;
  /** Wall-clock milliseconds per batch of 6 trace samples (30 minutes of trace). Default 700. */
  replayPaceMs?: number;
  out?: NodeJS.WritableStream;
}

/** What the demo measured, step by step (written with `--summary`). */
export interface DemoSummary {
  url: string;
  readyNodes: string[];
  rowsPerNode: Record<string, number>;
  job: { id: number; modelVersion: number; rounds: number };
  accuracy: { perNode: Record<string, number>; overall: number; rows: number };
  scaling: { events: Record<string, unknown>[]; scaleOut: number; scaleIn: number };
  metrics: { url: string; page: string };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `infrabase demo`: the four jobs of infrabase on one machine with the local provider, each step shown as it
 * happens — scale to 3 data nodes by inserting sys_nodes rows, load UCI Adult sharded over them, train a
 * federated model with a sys_training_jobs row, score the hold-out with PREDICT on every shard, replay a real
 * CPU trace through autoscaling policies, and show /metrics.
 * @throws InfrabaseError when a step fails (e.g. nodes not ready in time), after stopping what it started.
 */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const out = options.out ?? process.stdout;
  const say = (text = '') => out.write(`${text}\n`);
  const step = (n: number, title: string, sql?: string) => {
    say();
    say(`==> ${n}/6 ${title}`);
    if (sql) say(sql.replace(/^/gm, '    '));
  };
  const trace = readTrace(options.trace);
  const cp = await startControlPlane(options.config, { logger: createLogger('warn') });
  const api = new ApiClient(cp.url, cp.tokens.admin);
  say(`control plane ${cp.url}, data dir ${options.config.dataDir}`);
  say(`API tokens: ${cp.tokens.path}`);
  try {
    const summary = await steps(cp, api, options, trace, say, step);
    if (options.summary) writeFileSync(options.summary, `${JSON.stringify(summary, null, 2)}\n`);
    if (options.exit) {
      await cleanUp(api, say);
    } else {
      say();
      say(`The control plane keeps running at ${cp.url}. Explore, for example:`);
      const target = `--url ${cp.url} --data-dir ${options.config.dataDir}`;
      say(`  infrabase sql ${target} "SELECT id, role, status, endpoint FROM sys_nodes"`);
      say(`  infrabase sql ${target} --cluster "SELECT count(*) FROM adult"`);
      say(
        'Press Ctrl-C to stop it (nodes keep running and are adopted at the next start); ' +
          `infrabase down --nodes --data-dir ${options.config.dataDir} stops everything.`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
    return summary;
  } finally {
    await cp.stop();
  }
}

async function steps(
  cp: ControlPlane,
  api: ApiClient,
  options: DemoOptions,
  trace: ReturnType<typeof readTrace>,
  say: (t?: string) => void,
  step: (n: number, title: string, sql?: string) => void,
): Promise<DemoSummary> {
  const insertNodes = `INSERT OR IGNORE INTO sys_nodes (id, role) VALUES ${DATA_NODES.map((id) => `('${id}', 'data')`).join(', ')}`;
  step(1, 'Scale the cluster to 3 data nodes: a row in sys_nodes is a machine', insertNodes);
  await api.sql(insertNodes);
  await waitForReady(api, DATA_NODES, 60_000);
  const nodes = await api.sql(
    `SELECT id, provider, role, status, instance_id, endpoint FROM sys_nodes WHERE id IN (${DATA_NODES.map(() => '?').join(', ')}) ORDER BY id`,
    DATA_NODES,
  );
  say(renderTable(nodes.columns, nodes.rows));

  step(
    2,
    `Load UCI Adult as a distributed table: shards with replicas over the data nodes (${options.adult})`,
  );
  const bar = progressBar('load [{bar}] {percentage}% {rows} rows');
  bar.start(1, 0, { rows: 0 });
  const loaded = await loadDistributedCsv(api, ADULT_TABLE, options.adult, {
    onProgress: (read, total, rows) => bar.update(read / total, { rows }),
  });
  bar.stop();
  const primaries = await primaryNodes(api, ADULT_TABLE);
  const counted = await api.request<{ rows: [number, number][] }>('POST', '/v1/sql/cluster', {
    sql: `SELECT count(*) FROM ${ADULT_TABLE}`,
  });
  const rowsPerNode: Record<string, number> = {};
  for (const [shard, n] of counted.rows) {
    const node = primaries.get(shard) ?? '?';
    rowsPerNode[node] = (rowsPerNode[node] ?? 0) + n;
  }
  say(
    `${loaded.rows} rows in table ${ADULT_TABLE}: ${loaded.shards} shards, ${loaded.replicationFactor} copies each; rows per node (primary copies):`,
  );
  say(renderTable(['node', 'rows'], Object.entries(rowsPerNode)));

  const rounds = options.short ? 5 : 10;
  const jobSql = `INSERT INTO sys_training_jobs (model_name, training_sql, label_column, feature_columns,
    model_type, strategy, rounds, local_epochs, batch_size, learning_rate, min_shards)
  VALUES ('${MODEL_NAME}', :sql, 'y', '${JSON.stringify(ADULT_FEATURES)}', 'logistic', 'fedavg', ${rounds}, 1, 64, 0.05, 2)
  RETURNING id`;
  step(3, 'Train a federated model: each node trains on its own shard, only weights move', jobSql);
  const job = await api.sql(jobSql, { sql: ADULT_TRAINING_SQL });
  const jobId = job.rows[0][0] as number;
  const modelVersion = await followJob(api, jobId, { onRound: (r) => say(`  ${formatRound(r)}`) });
  say(`job ${jobId} succeeded: model ${MODEL_NAME} version ${modelVersion} in sys_models`);

  step(4, 'Score the hold-out with PREDICT on every shard', HOLDOUT_ACCURACY_SQL);
  // One in-sync copy per shard answers (rows tagged _shard); shown per node holding the shard's primary.
  const scored = await api.request<{ rows: [number, number, number][] }>('POST', '/v1/sql/cluster', {
    sql: HOLDOUT_ACCURACY_SQL,
  });
  const byNode = new Map<string, [number, number]>();
  let rows = 0;
  let correct = 0;
  for (const [shard, n, c] of scored.rows) {
    const node = primaries.get(shard) ?? '?';
    const [pn, pc] = byNode.get(node) ?? [0, 0];
    byNode.set(node, [pn + n, pc + (c ?? 0)]);
    rows += n;
    correct += c ?? 0;
  }
  const perNode = Object.fromEntries([...byNode].map(([node, [n, c]]) => [node, n > 0 ? c / n : 0]));
  const overall = rows > 0 ? correct / rows : 0;
  say(
    renderTable(
      ['node', 'hold-out rows', 'accuracy'],
      [...byNode].sort().map(([node, [n, c]]) => [node, n, pct(n > 0 ? c / n : 0)]),
    ),
  );
  say(`overall hold-out accuracy: ${pct(overall)} over ${rows} rows`);

  step(
    5,
    'Replay a real CPU trace (NAB, an AWS auto scaling group) through autoscaling policies',
    POLICIES_SQL,
  );
  await api.sql(POLICIES_SQL);
  const scaling = await replay(api, trace, options.replayPaceMs ?? 700, say);

  const metricsUrl = `${cp.url}/metrics`;
  step(6, `Prometheus metrics at ${metricsUrl}`);
  const page = await (await fetch(metricsUrl)).text();
  const lines = page.split('\n').filter((l) => l.startsWith('infrabase_') && !l.includes('_bucket'));
  say(lines.slice(-8).join('\n'));

  return {
    url: cp.url,
    readyNodes: DATA_NODES,
    rowsPerNode,
    job: { id: jobId, modelVersion, rounds },
    accuracy: { perNode, overall, rows },
    scaling,
    metrics: { url: metricsUrl, page },
  };
}

/** Feeds the trace window into sys_metrics 6 samples per statement, printing each scaling decision. */
async function replay(
  api: ApiClient,
  trace: ReturnType<typeof readTrace>,
  paceMs: number,
  say: (t?: string) => void,
): Promise<DemoSummary['scaling']> {
  const start = trace.length > TRACE_OFFSET + TRACE_SAMPLES ? TRACE_OFFSET : 0;
  const window = retime(trace.slice(start, start + TRACE_SAMPLES), Date.now());
  const since =
    ((await api.sql('SELECT coalesce(max(id), 0) FROM sys_scaling_events')).rows[0][0] as number) ?? 0;
  say(
    `replaying ${window.length} samples (${(window.length * 5) / 60} hours of trace) into ${TRACE_METRIC}:`,
  );
  const events: Record<string, unknown>[] = [];
  const columns = ['policy', 'action', 'observed', 'nodes', 'node ids'];
  for (let i = 0; i < window.length; i += 6) {
    const batch = window.slice(i, i + 6);
    await api.sql(
      `INSERT INTO sys_metrics (ts, name, labels, value) VALUES ${batch.map(() => `(?, '${TRACE_METRIC}', '{}', ?)`).join(', ')}`,
      batch.flatMap((s) => [s.ts, s.value / 100]),
    );
    const fresh = await api.sql(
      `SELECT id, policy, action, round(observed_value, 3), nodes_before || ' -> ' || nodes_after, node_ids
         FROM sys_scaling_events WHERE id > ? ORDER BY id`,
      [events.length > 0 ? (events[events.length - 1].id as number) : since],
    );
    for (const row of fresh.rows) {
      events.push({
        id: row[0],
        policy: row[1],
        action: row[2],
        observed: row[3],
        nodes: row[4],
        nodeIds: row[5],
      });
      // Decisions held back by a bound (action 'none') are rows too, but only node changes are shown here.
      if (row[2] !== 'none') say(renderTable(columns, [row.slice(1)]));
    }
    await sleep(paceMs);
  }
  const scaleOut = events.filter((e) => e.action === 'scale_out').length;
  const scaleIn = events.filter((e) => e.action === 'scale_in').length;
  const held = events.length - scaleOut - scaleIn;
  say(
    `${scaleOut} scale-out and ${scaleIn} scale-in decisions, ${held} held by a bound; each is a row of sys_scaling_events`,
  );
  return { events, scaleOut, scaleIn };
}

async function waitForReady(api: ApiClient, ids: string[], timeoutMs: number): Promise<void> {
  const bar = progressBar('nodes ready [{bar}] {value}/{total}');
  bar.start(ids.length, 0);
  const deadline = Date.now() + timeoutMs;
  const placeholders = ids.map(() => '?').join(', ');
  try {
    for (;;) {
      const res = await api.sql(
        `SELECT id, status, status_reason FROM sys_nodes WHERE id IN (${placeholders})`,
        ids,
      );
      const ready = res.rows.filter((r) => r[1] === 'ready').length;
      bar.update(ready);
      if (ready === ids.length) return;
      if (Date.now() > deadline) {
        const waiting = res.rows
          .filter((r) => r[1] !== 'ready')
          .map((r) => `${r[0]} ${r[1]} (${r[2] ?? ''})`);
        throw new InfrabaseError('TIMEOUT', `nodes not ready after ${timeoutMs} ms: ${waiting.join('; ')}`);
      }
      await sleep(200);
    }
  } finally {
    bar.stop();
  }
}

/** Deletes every node (the finalizer drains and terminates each) and waits until the rows are gone. */
async function cleanUp(api: ApiClient, say: (t?: string) => void): Promise<void> {
  say();
  say(
    `==> clean up: DROP TABLE ${ADULT_TABLE} (its shards are deleted on the nodes), then DELETE FROM sys_nodes (each machine is drained and terminated, then its row removed)`,
  );
  await api.sql('DELETE FROM sys_scaling_policies');
  await api.sql(`DROP TABLE ${ADULT_TABLE}`);
  await api.sql('DELETE FROM sys_nodes');
  const deadline = Date.now() + 60_000;
  for (;;) {
    const left = (await api.sql('SELECT count(*) FROM sys_nodes')).rows[0][0] as number;
    if (left === 0) return;
    if (Date.now() > deadline)
      throw new InfrabaseError('TIMEOUT', `${left} node(s) still terminating after 60 s`);
    await sleep(200);
  }
}

/** Shard → the node holding its primary copy, for a distributed table. */
async function primaryNodes(api: ApiClient, table: string): Promise<Map<number, string>> {
  const r = await api.sql(
    `SELECT p.shard, p.node_id FROM sys_placements p JOIN sys_distributed_tables t ON t.colocation_group = p.colocation_group
      WHERE t.name = ? AND p.role = 'primary'`,
    [table],
  );
  return new Map(r.rows.map((row) => [row[0] as number, row[1] as string]));
}

function progressBar(format: string): SingleBar {
  return new SingleBar({ format, stream: process.stderr, hideCursor: true, clearOnComplete: true });
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
