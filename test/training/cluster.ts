import { parse } from 'csv-parse/sync';
import { ApiClient, type ControlPlane, type ControlPlaneModule } from '../../control-plane/index.js';
import { createTrainingModule } from '../../control-plane/modules/training.js';
import { createNodesModule } from '../../control-plane/nodes/index.js';
import type { Rows } from '../../ml/index.js';
import { startTestControlPlane } from '../support/control-plane.js';
import { ADULT_CSV, EXAMPLES, readDataFile } from '../support/data.js';
import { stopLocalAgents } from '../support/local-agents.js';
import { waitFor } from '../support/tmp.js';
import { withTrainingFaults } from '../support/training-faults.js';

export const DATA_DIR = EXAMPLES;
export { ADULT_CSV };

/** Knuth's multiplicative hash of the row id, in [0, 100): the fixed 20% hold-out, in SQL and here alike. */
export const HOLDOUT_SQL = '((_row * 2654435761) % 4294967296) % 100 < 20';
export const isHoldout = (row: number) => Number((BigInt(row) * 2654435761n) % 4294967296n) % 100 < 20;

export const ADULT_FEATURES = ['age', 'edu', 'gain', 'loss', 'hours', 'male', 'married'];
/** The acceptance query: 7 features (two 0/1 through SQL), label `Y = '>50K'`, hold-out by hash of `_row`. */
export const ADULT_SQL = `SELECT age, "education-num" AS edu, "capital-gain" AS gain, "capital-loss" AS loss,
  "hours-per-week" AS hours, (sex = 'Male') AS male, ("marital-status" = 'Married-civ-spouse') AS married,
  (Y = '>50K') AS y, ${HOLDOUT_SQL} AS _holdout FROM adult`;

/**
 * A CSV read here the way `training_sql` reads it on the shards: `extract` gives a record's features and
 * label (last), and the 1-based record number (`_row`) decides the hold-out.
 */
export function holdoutSplit(
  file: string,
  extract: (r: Record<string, string>) => number[],
): { train: Rows; test: Rows } {
  const records = parse(readDataFile(file), { columns: true, ltrim: true }) as Record<string, string>[];
  const sets = { train: [] as number[][], test: [] as number[][] };
  records.forEach((r, i) => {
    (isHoldout(i + 1) ? sets.test : sets.train).push(extract(r));
  });
  const rows = (xs: number[][]): Rows => {
    const d = xs[0].length - 1;
    const X = new Float64Array(xs.length * d);
    const y = new Float64Array(xs.length);
    xs.forEach((x, i) => {
      X.set(x.slice(0, d), i * d);
      y[i] = x[d];
    });
    return { X, y, n: xs.length, d };
  };
  return { train: rows(sets.train), test: rows(sets.test) };
}

/** Adult read here the same way the SQL reads it on the shards: raw features, labels, split by `_row`. */
export function adultRows(): { train: Rows; test: Rows } {
  return holdoutSplit(ADULT_CSV, (r) => [
    Number(r.age),
    Number(r['education-num']),
    Number(r['capital-gain']),
    Number(r['capital-loss']),
    Number(r['hours-per-week']),
    Number(r.sex === 'Male'),
    Number(r['marital-status'] === 'Married-civ-spouse'),
    Number(r.Y === '>50K'),
  ]);
}

export interface TestCluster {
  cp: ControlPlane;
  api: ApiClient;
  dataDir: string;
  nodeIds: string[];
  close(): Promise<void>;
}

/**
 * An in-process control plane (nodes with the local provider + training) and `nodes` real local agents
 * (`d1`…`dN`), all ready. `faults` makes nodes misbehave (test/support/training-faults.ts: the coordinator's
 * transport is wrapped to kill agents and corrupt their replies).
 */
export async function startCluster(
  nodes: number,
  options: {
    faults?: string;
    recorder?: (node: string, path: string, body: unknown) => void;
    /** The control plane's modules; default nodes + training. */
    modules?: readonly ControlPlaneModule[];
  } = {},
): Promise<TestCluster> {
  let dataDir = '';
  const { cp, close } = await startTestControlPlane(
    {
      mesh: { mode: 'off' },
      reconciler: { heartbeatIntervalMs: 300, heartbeatTimeoutMs: 5000, resyncIntervalMs: 1000 },
    },
    {
      prefix: 'infrabase-train-',
      modules: options.modules ?? [
        createNodesModule(),
        createTrainingModule({
          recorder: options.recorder,
          // The faulty nodes' agents live in the data dir, known once the control plane started.
          ...(options.faults ? { transport: withTrainingFaults(options.faults, () => dataDir) } : {}),
        }),
      ],
      afterStop: stopLocalAgents,
    },
  );
  dataDir = cp.context.config.dataDir;
  try {
    const nodeIds = Array.from({ length: nodes }, (_, i) => `d${i + 1}`);
    const insert = cp.context.db.prepare("INSERT INTO sys_nodes (id, role) VALUES (?, 'data')");
    for (const id of nodeIds) insert.run(id);
    const ready = cp.context.db.prepare("SELECT count(*) FROM sys_nodes WHERE status = 'ready'").pluck();
    await waitFor(() => ready.get() === nodes, 30_000, 50);
    return { cp, api: new ApiClient(cp.url, cp.tokens.admin), dataDir, nodeIds, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Waits for a job to leave pending/running; returns its row. */
export async function waitForJob(cp: ControlPlane, id: number, timeoutMs = 60_000) {
  const get = cp.context.db.prepare('SELECT * FROM sys_training_jobs WHERE id = ?');
  await waitFor(
    () => !['pending', 'running'].includes((get.get(id) as { status: string }).status),
    timeoutMs,
    50,
  );
  return get.get(id) as Record<string, unknown> & {
    status: string;
    status_reason: string | null;
    model_version: number;
  };
}
