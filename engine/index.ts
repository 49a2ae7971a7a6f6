/**
 * The engine: SQLite through better-sqlite3 with the system catalog, migrations, the change feed and the
 * extension registry through which other modules add SQL functions and triggers, and the SQL worker pool
 * (whose workers other modules extend through a plug-in). It knows nothing of clouds or ONNX.
 */
export * from './catalog/change-log.js';
export * from './catalog/distributed.js';
export * from './catalog/models.js';
export * from './catalog/nodes.js';
export * from './catalog/nodes-guards.js';
export * from './catalog/training.js';
export * from './change-feed.js';
export * from './clock.js';
export * from './compiled-path.js';
export * from './connection-state.js';
export * from './database.js';
export * from './distributed/index.js';
export * from './errors.js';
export * from './extension.js';
export * from './http-errors.js';
export * from './migrations.js';
export { compileSqliteExtension } from './native/compile-extension.js';
export * from './native/guard.js';
export * from './now.js';
export * from './per-node/index.js';
export * from './planner/index.js';
export * from './query.js';
export * from './sql-pool/index.js';
export * from './user-sql.js';
export * from './version.js';
