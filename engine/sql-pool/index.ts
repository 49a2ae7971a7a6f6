/**
 * The SQL worker pool: user SQL in worker processes, each with its own connection, killed past a statement's
 * time limit. What the workers add to the engine's SQL comes from a worker plug-in the composing module names.
 */
export { exitWithParent } from './parent-watch.js';
export {
  SqlPool,
  type SqlPoolOptions,
  type SqlRequest,
  type StatementTimeouts,
  statementTimeout,
} from './pool.js';
export type { SqlPoolObserver, StatementOutcome } from './pool-observer.js';
export {
  errorReply,
  type HandlerRef,
  type PlacementRef,
  type WorkerMessage,
  type WorkerReport,
  type WorkerRequest,
} from './protocol.js';
export { guessStatementKind, type StatementKind } from './statement-kind.js';
export {
  type HandledStatement,
  loadWorkerPlugin,
  type SqlWorkerPlugin,
  type StatementHandler,
  type WorkerPluginRef,
  workerPluginArgs,
} from './worker-plugin.js';
