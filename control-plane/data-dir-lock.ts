import { existsSync, linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfrabaseError } from '../engine/index.js';

/** File, in the data dir, that the running control plane holds: a {@link DataDirLock} as JSON. */
export const LOCK_FILE = 'control-plane.lock';

/** Who holds a data dir. */
export interface DataDirLock {
  readonly pid: number;
  /** The holder's HTTP API URL. */
  readonly url: string;
  /**
   * The holder's start time in clock ticks since boot (`/proc/<pid>/stat` field 22), so that a pid reused by
   * another process after a crash is not taken for the holder; absent where `/proc` is not available.
   */
  readonly startTicks?: number;
}

/** State (field 3) and start time in clock ticks since boot (field 22) of `pid`; undefined without `/proc`. */
function procStat(pid: number): { state: string; startTicks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], startTicks: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

/**
 * Whether the process that wrote `lock` is still running: the pid exists, is not a zombie (exited, not yet
 * reaped) and, where `/proc` tells, started at the recorded time (not a reused pid).
 */
export function isLockHolderAlive(lock: DataDirLock): boolean {
  try {
    process.kill(lock.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(lock.pid);
  if (stat === undefined) return !existsSync('/proc/self/stat'); // gone between the two reads, or no /proc
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return lock.startTicks === undefined || stat.startTicks === lock.startTicks;
}

/** The lock of `dataDir` as written, or undefined when absent or unreadable. Creates nothing. */
export function readDataDirLock(dataDir: string): DataDirLock | undefined {
  try {
    const v = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as DataDirLock;
    return Number.isInteger(v.pid) && typeof v.url === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The live control plane holding `dataDir`, or undefined. Creates nothing. */
export function liveDataDirHolder(dataDir: string): DataDirLock | undefined {
  const lock = readDataDirLock(dataDir);
  return lock && isLockHolderAlive(lock) ? lock : undefined;
}

function heldError(dataDir: string, holder: DataDirLock): InfrabaseError {
  return new InfrabaseError(
    'ALREADY_EXISTS',
    `data dir ${dataDir} is in use by the control plane at ${holder.url} (pid ${holder.pid}); ` +
      `stop it first (infrabase down --data-dir ${dataDir}) or choose another --data-dir`,
  );
}

/**
 * Refuses when a live control plane holds `dataDir`, before anything is created or bound.
 * @throws InfrabaseError `ALREADY_EXISTS` naming the holder's pid and URL.
 */
export function assertDataDirFree(dataDir: string): void {
  const holder = liveDataDirHolder(dataDir);
  if (holder) throw heldError(dataDir, holder);
}

/**
 * Takes the exclusive lock of an existing `dataDir` for this process, serving at `url`. The lock file is written
 * in full under a temporary name and hard-linked into place (`link` fails if the name exists), so of two control
 * planes started at once exactly one wins and no reader sees half a file; a lock left by a dead process is
 * replaced.
 * @returns a function that releases the lock (only while this process still holds it).
 * @throws InfrabaseError `ALREADY_EXISTS` naming the live holder's pid and URL.
 */
export function acquireDataDirLock(dataDir: string, url: string): () => void {
  const path = join(dataDir, LOCK_FILE);
  const tmp = join(dataDir, `${LOCK_FILE}.${process.pid}.tmp`);
  const mine: DataDirLock = { pid: process.pid, url, startTicks: procStat(process.pid)?.startTicks };
  writeFileSync(tmp, `${JSON.stringify(mine)}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(tmp, path);
        return () => {
          const now = readDataDirLock(dataDir);
          if (now?.pid === process.pid && now.url === url) rmSync(path, { force: true });
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const holder = readDataDirLock(dataDir);
        if (holder && isLockHolderAlive(holder)) throw heldError(dataDir, holder);
        rmSync(path, { force: true });
      }
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  throw new InfrabaseError('CONFLICT', `could not take the data dir lock ${path} after 3 attempts`);
}
