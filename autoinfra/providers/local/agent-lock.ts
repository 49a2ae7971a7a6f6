import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfrabaseError } from '../../../engine/index.js';

/** File, in a node's data dir, that the running agent holds: `{"pid": <n>, "nodeId": "..."}`. */
export const AGENT_LOCK_FILE = 'agent.pid';

/**
 * Files in an agent's data dir that hold its secrets: the node token (`node-token.json`) and the WireGuard
 * private keys, current and staged (`wireguard.key`, `wireguard.next.key`). The local provider removes them
 * once the agent is terminated. (The agent's own modules name the same files; a test keeps the lists equal.)
 */
export const AGENT_SECRET_FILES = ['node-token.json', 'wireguard.key', 'wireguard.next.key'] as const;

export interface AgentLock {
  readonly pid: number;
  readonly nodeId: string;
}

/**
 * Whether `pid` is a live process running the agent of `nodeId` (its command line names the node id, which
 * guards against a recycled pid). On systems without `/proc` only liveness is checked.
 */
export function isAgentAlive(pid: number, nodeId: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmdline.length === 0) return false; // a zombie
    return cmdline.split('\0').includes(nodeId);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** Reads the agent lock of a node's data dir, or undefined if absent or unreadable. */
export function readAgentLock(dir: string): AgentLock | undefined {
  try {
    const v = JSON.parse(readFileSync(join(dir, AGENT_LOCK_FILE), 'utf8')) as AgentLock;
    return typeof v.pid === 'number' && typeof v.nodeId === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The pid of the live agent holding `dir`, or undefined. */
export function liveAgentPid(dir: string, nodeId: string): number | undefined {
  const lock = readAgentLock(dir);
  return lock && lock.nodeId === nodeId && isAgentAlive(lock.pid, nodeId) ? lock.pid : undefined;
}

/**
 * Takes the node's agent lock for this process. The lock file is written in full under a temporary name
 * and hard-linked into place (`link` fails if the name exists), so of two agents started at once exactly
 * one wins and no reader ever sees half a file; a lock left by a dead process is replaced.
 *
 * @returns a function that releases the lock (only if this process still holds it).
 * @throws InfrabaseError `ALREADY_EXISTS` when a live agent of the same node holds it.
 */
export function acquireAgentLock(dir: string, nodeId: string): () => void {
  const path = join(dir, AGENT_LOCK_FILE);
  const tmp = join(dir, `${AGENT_LOCK_FILE}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify({ pid: process.pid, nodeId }));
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(tmp, path);
        return () => {
          if (readAgentLock(dir)?.pid === process.pid) rmSync(path, { force: true });
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const holder = readAgentLock(dir);
        if (holder && isAgentAlive(holder.pid, holder.nodeId)) {
          throw new InfrabaseError(
            'ALREADY_EXISTS',
            `node ${nodeId} already has a live agent (pid ${holder.pid}) in ${dir}`,
          );
        }
        rmSync(path, { force: true });
      }
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  throw new InfrabaseError('CONFLICT', `could not take the agent lock ${path} after 3 attempts`);
}
