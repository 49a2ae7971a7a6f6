import { readFileSync } from 'node:fs';
import type { Database } from '../../../engine/index.js';
import { EXAMPLES } from '../../support/data.js';

/** Where the tests' NAB traces live (see examples/PROVENANCE.md). */
export const TRACES_DIR = `${EXAMPLES}/timeseries/`;

/**
 * A NAB trace as `[ts ms, value]` pairs; timestamps are read as UTC. `file` is a name in {@link TRACES_DIR}, or a
 * path when `dir` is given.
 */
export function readTrace(file: string, dir = TRACES_DIR): [number, number][] {
  const lines = readFileSync(`${dir}${file}`, 'utf8').trim().split('\n').slice(1);
  return lines.map((line) => {
    const [stamp, value] = line.split(',');
    return [Date.parse(`${stamp.replace(' ', 'T')}Z`), Number(value)];
  });
}

export interface ReplayOptions {
  /** Metric name the samples are written under. */
  metric: string;
  /** Divides values (100 turns CPU percent into a 0–1 ratio). */
  scale: number;
  /** Samples per transaction; between transactions the simulated reconciler runs. */
  batch: number;
}

export interface ReplayStats {
  samples: number;
  transactions: number;
  /** Live nodes of the pool after every transaction. */
  poolSizes: number[];
  elapsedMs: number;
}

/**
 * Feeds a trace into `sys_metrics` at accelerated time (sample time, not wall time), `batch` samples per
 * transaction. After each transaction a simulated reconciler marks pending nodes ready and finalizes nodes
 * whose desired state is terminated, as the real one would.
 */
export function replay(
  db: Database,
  trace: readonly [number, number][],
  options: ReplayOptions,
): ReplayStats {
  const insert = db.prepare(
    "INSERT INTO sys_metrics (ts, node_id, name, labels, value) VALUES (?, NULL, ?, '{}', ?)",
  );
  const ready = db.prepare(
    `UPDATE sys_nodes SET status = 'ready', idempotency_token = 'tok-' || id
     WHERE desired_state = 'running' AND status = 'pending'`,
  );
  const terminated = db.prepare(
    "UPDATE sys_nodes SET status = 'terminated' WHERE desired_state = 'terminated'",
  );
  const finalize = db.prepare("DELETE FROM sys_nodes WHERE status = 'terminated'");
  const pool = db.prepare("SELECT count(*) FROM sys_nodes WHERE desired_state = 'running'").pluck();
  const write = db.transaction((rows: readonly [number, number][]) => {
    for (const [ts, v] of rows) insert.run(ts, options.metric, v / options.scale);
  });
  const reconcile = db.transaction(() => {
    ready.run();
    terminated.run();
    finalize.run();
  });
  const poolSizes: number[] = [];
  let transactions = 0;
  const started = performance.now();
  for (let i = 0; i < trace.length; i += options.batch) {
    write(trace.slice(i, i + options.batch));
    transactions++;
    poolSizes.push(pool.get() as number);
    reconcile();
  }
  return { samples: trace.length, transactions, poolSizes, elapsedMs: performance.now() - started };
}

export interface ActionEvent {
  ts: number;
  policy: string;
  action: string;
  nodes_before: number;
  nodes_after: number;
}

/** Scale actions (events that changed the pool), oldest first. */
export const scaleActions = (db: Database) =>
  db
    .prepare(
      "SELECT ts, policy, action, nodes_before, nodes_after FROM sys_scaling_events WHERE action <> 'none' ORDER BY ts, id",
    )
    .all() as ActionEvent[];

/**
 * Flapping: actions reversed within one cooldown — a scale action followed, less than `cooldownMs` of
 * sample time later, by an action in the opposite direction.
 */
export function countReversals(actions: readonly ActionEvent[], cooldownMs: number): number {
  let reversals = 0;
  for (let i = 1; i < actions.length; i++) {
    const prev = actions[i - 1];
    const cur = actions[i];
    if (cur.action !== prev.action && cur.ts - prev.ts < cooldownMs) reversals++;
  }
  return reversals;
}
