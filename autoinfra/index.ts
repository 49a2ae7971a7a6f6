/**
 * Auto-infra: reconciles `sys_nodes` rows against cloud providers (local processes, AWS EC2, GCP Compute)
 * with idempotent launches, typed errors, rate limits, capacity cool-offs and an orphan collector; owns the
 * node lifecycle (the `sys_nodes` store, node tokens, boot data and the cloud bootstrap scripts).
 */

export * from './bootstrap/index.js';
export * from './nodes/index.js';
export * from './policies/index.js';
export * from './provider.js';
export * from './providers/index.js';
export * from './reconcile/index.js';
