/**
 * Metrics: one prom-client registry per process, metric declarations per module, the `/metrics` route, and
 * persistence of samples into `sys_metrics` (sampler, node heartbeats, rollups and retention).
 */
export * from './declarations/index.js';
export * from './http/index.js';
export * from './persistence/index.js';
export * from './registry.js';
export * from './sql-pool-metrics.js';
