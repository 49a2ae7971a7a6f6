import type { EngineExtension } from '../../engine/index.js';

/**
 * The engine extensions registered on every connection that runs user SQL: the control plane's main
 * connection and each SQL worker process. A worker imports this file, so it must stay free of process state.
 */
export function userSqlExtensions(): EngineExtension[] {
  return [];
}
