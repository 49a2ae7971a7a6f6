import { Worker } from 'node:worker_threads';

/** How often the watch thread checks that the parent is alive, ms. */
export const PARENT_WATCH_INTERVAL_MS = 100;

// Runs on its own thread, so it keeps watching while the process's main thread is inside a long statement.
const WATCH_SOURCE = `
const { workerData } = require('node:worker_threads');
const check = () => {
  if (process.ppid !== workerData.parentPid) process.kill(process.pid, 'SIGKILL');
};
check();
setInterval(check, workerData.intervalMs);
`;

/**
 * Ends this process (SIGKILL, so a running statement ends with it and its transaction rolls back) as soon as
 * its parent `parentPid` is gone, i.e. this process was re-parented; checked every
 * {@link PARENT_WATCH_INTERVAL_MS} ms from a thread of its own, even while the main thread is busy in SQLite.
 */
export function exitWithParent(parentPid: number): void {
  const watch = new Worker(WATCH_SOURCE, {
    eval: true,
    workerData: { parentPid, intervalMs: PARENT_WATCH_INTERVAL_MS },
  });
  watch.unref();
}
