/**
 * Lifecycle logs: what happened to nodes, scaling policies, shard moves and training jobs, one structured
 * info line per event, with ids and never a secret (docs/metrics.md, "Lifecycle logs").
 */
export { CATALOG_EVENTS_INTERVAL_MS, CatalogEventLog } from './catalog-events.js';
export { createLifecycleLogModule } from './module.js';
export { logNodeEvent } from './node-events.js';
