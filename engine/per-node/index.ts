/**
 * The per-node layout of user tables (`infrabase load --per-node`): one copy of the table per ready data node,
 * rows spread by hash or round-robin, recorded in `sys_tables`. Distributed tables (engine/distributed/) are
 * the default layout.
 */
export { assignShards, fnv1a } from './assign-shards.js';
export { type PerNodeColumn, PerNodeTableStore } from './table-store.js';
