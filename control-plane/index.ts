/** The control plane: the `infrabase` process, its HTTP API, CLI, configuration and wiring. */
export * from './auth/index.js';
export * from './client/index.js';
export { CLUSTER_ID_FILE, clusterIdOf } from './cluster-id.js';
export { BIN_PATH } from './compiled-path.js';
export * from './config/index.js';
export { createControlPlaneContext } from './context.js';
export { createLogger, type Logger } from './logger.js';
export { SQL_WORKER_PLUGIN, type UserSqlPoolOptions, userSqlPool } from './modules/sql-workers.js';
export * from './server/index.js';
export type { ControlPlaneBase, ControlPlaneContext, ControlPlaneModule, Service } from './service.js';
export { type ControlPlane, DB_FILE, type StartOptions, startControlPlane } from './up.js';
