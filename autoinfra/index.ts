/**
 * Auto-infra: reconciles `sys_nodes` rows against cloud providers (local processes, AWS EC2, GCP Compute)
 * with idempotent launches, typed errors, rate limits, capacity cool-offs and an orphan collector.
 */

export * from './policies/index.js';
export * from './provider.js';
export * from './providers/index.js';
export * from './reconcile/index.js';
