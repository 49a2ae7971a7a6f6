import type { EngineExtension } from '../../engine/index.js';
import { evaluationSchema } from './evaluation-schema.js';
import { validationSchema } from './validation-schema.js';
import { windowBucketsSchema } from './window-buckets-schema.js';
import { windowOverCountsSchema } from './window-over-counts-schema.js';

/**
 * Autoscaling policies as SQL: installs (idempotently, replacing older definitions) the triggers that
 * validate `sys_scaling_policies` rows and evaluate them on every `sys_metrics` insert. Pass it in
 * `openDatabase(path, { migrate: true, extensions: [scalingPoliciesExtension] })` in the process that
 * migrates; the triggers then run on every connection and process, the `sqlite3` shell included.
 *
 * @example
 * db.prepare(`INSERT INTO sys_scaling_policies (name, metric, threshold, action, max_nodes, cooldown_ms, node_template)
 *             VALUES ('cpu-high', 'node_cpu_utilization_ratio', 0.8, 'scale_out', 10, 300000, '{"labels":{"pool":"web"}}')`).run();
 * // a sample batch whose 5-minute average exceeds 0.8 inserts a sys_nodes row in the same transaction
 */
export const scalingPoliciesExtension: EngineExtension = {
  name: 'scaling-policies',
  schema: `${validationSchema}\n${windowBucketsSchema}\n${windowOverCountsSchema}\n${evaluationSchema}`,
};
