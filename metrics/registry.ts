import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * prom-client default metrics that `promtool check metrics` rejects: gauges whose names end in `_total`
 * ("non-counter metrics should not have _total suffix"). They are removed from every registry we create.
 */
export const PROMTOOL_REJECTED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

export interface RegistryOptions {
  /** Labels added to every series of the registry (e.g. `{ node_id: 'n-1a2b' }` on an agent). Default none. */
  defaultLabels?: Record<string, string>;
  /** Collect the standard `process_*` and `nodejs_*` metrics. Default true. */
  processMetrics?: boolean;
}

/**
 * Creates this process's metrics registry — never prom-client's global one, so tests and several services in
 * one process do not share state. Includes the standard `process_*` (CPU seconds, resident memory bytes,
 * open fds, start time) and `nodejs_*` (event-loop lag seconds, heap bytes, GC seconds) metrics, minus the
 * ones promtool flags ({@link PROMTOOL_REJECTED_DEFAULT_METRICS}), so the exposition passes
 * `promtool check metrics`.
 *
 * @example
 * const registry = createRegistry();
 * const sql = sqlMetrics(registry);
 * sql.statements.inc({ kind: 'read', outcome: 'ok' });
 * await registry.metrics(); // text exposition format 0.0.4
 */
export function createRegistry(options: RegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
  if (options.processMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    for (const name of PROMTOOL_REJECTED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  }
  return registry;
}
