import { spawnSync } from 'node:child_process';

/**
 * Environment variable holding the data-segment limit, in bytes, of each process that runs user SQL (SQL
 * workers of the control plane and of agents); `0` or unset: no limit. The control plane sets it from
 * `predict.workerMemoryBytes` (default 4 GiB); the workers it forks inherit it.
 */
export const WORKER_MEMORY_ENV = 'INFRABASE_SQL_WORKER_MEMORY_BYTES';

let applied: number | null | undefined;

/**
 * Bounds this process's writable private memory with `RLIMIT_DATA` (soft limit, through util-linux
 * `prlimit`), so an onnxruntime allocation past it fails inside `run()` ("Failed to allocate memory"), which
 * PREDICT reports as `MODEL_ERROR`, instead of the kernel killing the process. Applied once per process;
 * later calls return the first result. V8's own heap counts too: a JavaScript allocation past the limit still
 * ends the process, so the limit must leave room for the worker's heap (hundreds of MiB).
 *
 * @returns the limit in bytes now in force, or null when none was asked for or `prlimit` is missing.
 */
export function limitWorkerMemory(env: NodeJS.ProcessEnv = process.env): number | null {
  if (applied !== undefined) return applied;
  const bytes = Number(env[WORKER_MEMORY_ENV] ?? 0);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    applied = null;
    return applied;
  }
  const run = spawnSync('prlimit', ['--pid', String(process.pid), `--data=${bytes}:`], { stdio: 'ignore' });
  applied = run.status === 0 ? bytes : null;
  return applied;
}
