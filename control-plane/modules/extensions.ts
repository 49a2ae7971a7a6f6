import type { EngineExtension } from '../../engine/index.js';
import { mlExtension } from '../../ml/index.js';

/**
 * The engine extensions registered on every connection that runs user SQL: the control plane's main
 * connection and each SQL worker process (PREDICT, PREDICT_PROBA, PREDICT_JSON and the sys_models
 * validation functions). A worker imports this file, so it must stay free of process state.
 */
export function userSqlExtensions(): EngineExtension[] {
  return [mlExtension];
}
