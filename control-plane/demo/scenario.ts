/**
 * What the demo does, as data: the SQL a user would type for each step. Kept apart from the orchestration so
 * the README, the docs and the demo show the same statements.
 */

/** The data nodes the demo scales to. */
export const DATA_NODES = ['data-1', 'data-2', 'data-3'];

export const ADULT_TABLE = 'adult';
export const MODEL_NAME = 'adult_income';

/** Knuth's multiplicative hash of the loader's `_row` id, in [0, 100): a fixed 20% hold-out. */
export const HOLDOUT_SQL = '((_row * 2654435761) % 4294967296) % 100 < 20';

/** UCI Adult as features: 7 columns (two 0/1 through SQL), label `Y = '>50K'`, the hold-out flagged. */
export const ADULT_FEATURES = ['age', 'edu', 'gain', 'loss', 'hours', 'male', 'married'];
export const ADULT_TRAINING_SQL = `SELECT age, "education-num" AS edu, "capital-gain" AS gain, "capital-loss" AS loss,
  "hours-per-week" AS hours, (sex = 'Male') AS male, ("marital-status" = 'Married-civ-spouse') AS married,
  (Y = '>50K') AS y, ${HOLDOUT_SQL} AS _holdout FROM ${ADULT_TABLE}`;

/** Hold-out accuracy of the trained model, computed on each shard where the rows are. */
export const HOLDOUT_ACCURACY_SQL = `SELECT count(*) AS rows,
  sum(PREDICT('${MODEL_NAME}', ${ADULT_FEATURES.join(', ')}) = y) AS correct
  FROM (${ADULT_TRAINING_SQL}) WHERE _holdout`;

/** The metric the CPU trace is replayed under (CPU utilisation as a 0-1 ratio). */
export const TRACE_METRIC = 'demo_asg_cpu_utilization_ratio';

/** The pool the two policies govern: compute nodes labelled pool=nab-asg, at most 3. */
const TEMPLATE = JSON.stringify({ role: 'compute', labels: { pool: 'nab-asg' } });

/** A scale-out / scale-in pair over the trace: 1-hour average above 50% adds a node, below 40% retires one. */
export const POLICIES_SQL = `INSERT OR REPLACE INTO sys_scaling_policies
  (name, metric, aggregate, window_ms, comparison, threshold, action, step, min_nodes, max_nodes, cooldown_ms, node_template)
VALUES
  ('asg-cpu-high', '${TRACE_METRIC}', 'avg', 3600000, '>', 0.5, 'scale_out', 1, 0, 3, 3600000, '${TEMPLATE}'),
  ('asg-cpu-low',  '${TRACE_METRIC}', 'avg', 3600000, '<', 0.4, 'scale_in',  1, 0, 3, 3600000, '${TEMPLATE}')`;

/**
 * Where in the NAB `cpu_utilization_asg_misconfiguration` trace the replay starts (sample 16,800, 2014-06-11,
 * when the group's load starts to swing) and how many 5-minute samples it replays (20 hours).
 */
export const TRACE_OFFSET = 16_800;
export const TRACE_SAMPLES = 240;
