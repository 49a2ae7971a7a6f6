import { cpus, freemem, loadavg, totalmem } from 'node:os';
import type { Database } from 'better-sqlite3';
import { InfrabaseError } from '../../engine/index.js';
import type { IngestMetrics } from '../declarations/index.js';
import { canonicalLabels, type Labels, METRIC_NAME } from './labels.js';
import { writeSamples } from './write-samples.js';

/** Names of the node metrics an agent sends with each heartbeat. */
export const NODE_METRICS = {
  /** CPU time not idle over the interval since the previous collection, a 0–1 ratio over all cores. */
  cpuUtilization: 'infrabase_node_cpu_utilization_ratio',
  memoryUsedBytes: 'infrabase_node_memory_used_bytes',
  memoryTotalBytes: 'infrabase_node_memory_total_bytes',
  /** 1-minute load average (runnable tasks), as `node_load1` of node_exporter. */
  load1: 'infrabase_node_load1',
  /** Statements executed per second since the previous collection. */
  queryRate: 'infrabase_node_queries_per_second',
  processResidentBytes: 'infrabase_node_process_resident_memory_bytes',
} as const;

/** One sample as sent by an agent: name, value and optional labels; time and node id come from the heartbeat. */
export interface NodeMetricSample {
  readonly name: string;
  readonly value: number;
  readonly labels?: Labels;
}

/** What {@link collectNodeMetrics} remembers between calls to compute rates. */
export interface NodeMetricsSnapshot {
  /** Milliseconds since the epoch. */
  readonly at: number;
  /** Summed busy and total CPU time over all cores, milliseconds. */
  readonly cpuBusyMs: number;
  readonly cpuTotalMs: number;
  readonly queriesTotal: number;
}

/** The operating-system readings used; node:os by default, injectable for tests. */
export interface OsReadings {
  cpus(): { times: { user: number; nice: number; sys: number; idle: number; irq: number } }[];
  totalmem(): number;
  freemem(): number;
  loadavg(): number[];
  residentBytes(): number;
}

const nodeOs: OsReadings = {
  cpus,
  totalmem,
  freemem,
  loadavg,
  residentBytes: () => process.memoryUsage.rss(),
};

/**
 * Reads the node's metrics for a heartbeat from node:os and process. Rates (CPU utilisation, query rate)
 * are over the interval since `previous`; on the first call CPU utilisation is the average since boot and
 * the query rate is omitted. Pass the returned snapshot to the next call.
 *
 * @param options.now milliseconds since the epoch (inject the agent's Clock); `queriesTotal` the agent's
 *   running count of executed statements; `os` readings (tests).
 */
export function collectNodeMetrics(
  previous: NodeMetricsSnapshot | undefined,
  options: { now: number; queriesTotal?: number; os?: OsReadings },
): { samples: NodeMetricSample[]; snapshot: NodeMetricsSnapshot } {
  const os = options.os ?? nodeOs;
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    const b = times.user + times.nice + times.sys + times.irq;
    busy += b;
    total += b + times.idle;
  }
  const snapshot: NodeMetricsSnapshot = {
    at: options.now,
    cpuBusyMs: busy,
    cpuTotalMs: total,
    queriesTotal: options.queriesTotal ?? 0,
  };
  const dBusy = previous ? busy - previous.cpuBusyMs : busy;
  const dTotal = previous ? total - previous.cpuTotalMs : total;
  const ratio = dTotal > 0 ? Math.min(1, Math.max(0, dBusy / dTotal)) : 0;
  const totalMem = os.totalmem();
  const samples: NodeMetricSample[] = [
    { name: NODE_METRICS.cpuUtilization, value: ratio },
    { name: NODE_METRICS.memoryUsedBytes, value: totalMem - os.freemem() },
    { name: NODE_METRICS.memoryTotalBytes, value: totalMem },
    { name: NODE_METRICS.load1, value: os.loadavg()[0] ?? 0 },
    { name: NODE_METRICS.processResidentBytes, value: os.residentBytes() },
  ];
  const seconds = previous ? (options.now - previous.at) / 1000 : 0;
  if (previous && seconds > 0 && options.queriesTotal !== undefined) {
    samples.push({
      name: NODE_METRICS.queryRate,
      value: Math.max(0, options.queriesTotal - previous.queriesTotal) / seconds,
    });
  }
  return { samples, snapshot };
}

/** Most samples one heartbeat may carry. */
export const MAX_HEARTBEAT_SAMPLES = 1000;

/**
 * Stores a heartbeat's node metrics in `sys_metrics` with the node's id and the heartbeat time, in one
 * transaction (so autoscaling policies evaluate them, and act, in that transaction).
 *
 * @param ts milliseconds since the epoch (the control plane's clock at receipt).
 * @param metrics when given, rows are counted in `infrabase_metrics_samples_ingested_total{source="heartbeat"}`.
 * @returns the number of rows written.
 * @throws InfrabaseError `INVALID_ARGUMENT` naming the offending sample: more than
 *   {@link MAX_HEARTBEAT_SAMPLES} samples, a name that is not a Prometheus metric name, a non-finite value,
 *   a `*_ratio` outside 0–1, or a bad label name. Nothing is written then.
 */
export function ingestNodeMetrics(
  db: Database,
  nodeId: string,
  samples: readonly NodeMetricSample[],
  ts: number,
  metrics?: IngestMetrics,
): number {
  if (samples.length > MAX_HEARTBEAT_SAMPLES) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `heartbeat from ${nodeId} carries ${samples.length} metric samples; accepted: at most ${MAX_HEARTBEAT_SAMPLES}`,
    );
  }
  const rows = samples.map((s, i) => {
    if (typeof s?.name !== 'string' || !METRIC_NAME.test(s.name)) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `metric sample ${i} has name ${JSON.stringify(s?.name)}; accepted: a Prometheus metric name [a-zA-Z_:][a-zA-Z0-9_:]*`,
      );
    }
    if (typeof s.value !== 'number' || !Number.isFinite(s.value)) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `metric sample ${s.name} has value ${String(s.value)}; accepted: a finite number`,
      );
    }
    if (s.name.endsWith('_ratio') && (s.value < 0 || s.value > 1)) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `metric sample ${s.name} has value ${s.value}; accepted: a ratio between 0 and 1`,
      );
    }
    return { ts, nodeId, name: s.name, labels: canonicalLabels(s.labels), value: s.value };
  });
  const started = performance.now();
  try {
    const n = writeSamples(db, rows);
    metrics?.batchDuration.observe({ source: 'heartbeat' }, (performance.now() - started) / 1000);
    metrics?.samples.inc({ source: 'heartbeat' }, n);
    return n;
  } catch (err) {
    metrics?.errors.inc({ source: 'heartbeat' });
    throw err;
  }
}
