export { exitWithParent } from './parent-watch.js';
export {
  SqlPool,
  type SqlPoolOptions,
  type SqlRequest,
  type StatementTimeouts,
  statementTimeout,
} from './pool.js';
export type { PlacementRef, WorkerMessage, WorkerRequest } from './protocol.js';
export { applyWorkerLimits, type WorkerPredictLimits, workerLimitsArgs } from './worker-limits.js';
