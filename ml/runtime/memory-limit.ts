import { spawnSync } from 'node:child_process';

let applied: number | null | undefined;

/**
 * Bounds this process's writable private memory with `RLIMIT_DATA` (soft limit, through util-linux
 * `prlimit`), so an onnxruntime allocation past it fails inside `run()` ("Failed to allocate memory"), which
 * PREDICT reports as `MODEL_ERROR`, instead of the kernel killing the process. Applied once per process;
 * later calls return the first result. Called by each SQL worker with `predict.workerMemoryBytes` from its pool. V8's own heap counts too: a JavaScript allocation past the limit still
 * ends the process, so the limit must leave room for the worker's heap (hundreds of MiB).
 *
 * @param bytes the limit; 0 for none.
 * @returns the limit in bytes now in force, or null when none was asked for or `prlimit` is missing.
 */
export function limitWorkerMemory(bytes: number): number | null {
  if (applied !== undefined) return applied;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    applied = null;
    return applied;
  }
  const run = spawnSync('prlimit', ['--pid', String(process.pid), `--data=${bytes}:`], { stdio: 'ignore' });
  applied = run.status === 0 ? bytes : null;
  return applied;
}
