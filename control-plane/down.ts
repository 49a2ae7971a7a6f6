import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InfrabaseError } from '../engine/index.js';
import { readTokens, TOKENS_FILE } from './auth/index.js';
import { ApiClient } from './client/index.js';
import type { Config } from './config/index.js';
import { type DataDirLock, isLockHolderAlive, liveDataDirHolder } from './data-dir-lock.js';
import { createLogger } from './logger.js';
import { DB_FILE, startControlPlane } from './up.js';

const POLL_MS = 200;

export interface StopOptions {
  /** Also terminate the data dir's local nodes (through the catalog) before stopping the control plane. */
  nodes?: boolean;
  /** How long to wait for the nodes to be gone and for the control plane to exit, ms. Default 60000. */
  timeoutMs?: number;
  /**
   * With `nodes`, when no other data node would remain: drop the distributed tables with the nodes (their rows
   * are lost). Without it such a `down --nodes` is refused before anything is deleted.
   */
  discardData?: boolean;
  /** Progress lines for a person (e.g. `process.stdout.write`). */
  say?: (line: string) => void;
}

export interface StopResult {
  /** The control plane that was stopped (pid and URL), or undefined when none was running. */
  stopped?: DataDirLock;
  /** Local nodes marked for termination and gone (only with `nodes`). */
  nodesTerminated: number;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Terminates every local node of the cluster behind `client`, the way a user would: `DELETE FROM sys_nodes WHERE
 * provider = 'local'` marks the rows `desired_state = 'terminated'`, the reconciler drains and stops each agent
 * and removes its row; this waits until no local row is left.
 * @returns how many local nodes there were.
 * @throws InfrabaseError `TIMEOUT` when rows remain after `timeoutMs`, naming how many.
 */
async function terminateLocalNodes(
  client: ApiClient,
  timeoutMs: number,
  discardData: boolean,
  say: (line: string) => void,
): Promise<number> {
  const countLocal = async () =>
    Number(
      (await client.sql("SELECT count(*) FROM sys_nodes WHERE provider = 'local'")).rows[0][0] as number,
    );
  const before = await countLocal();
  if (before === 0) return 0;
  const deadline = Date.now() + timeoutMs;
  await discardDistributedTables(client, deadline, discardData, say);
  await client.sql("DELETE FROM sys_nodes WHERE provider = 'local'");
  for (;;) {
    const left = await countLocal();
    if (left === 0) return before;
    if (Date.now() > deadline) {
      throw new InfrabaseError(
        'TIMEOUT',
        `${left} of ${before} local nodes are still terminating after ${timeoutMs} ms (see sys_nodes.status_reason)`,
      );
    }
    await pause(POLL_MS);
  }
}

/**
 * The data of distributed tables lives on the data nodes only. When terminating the local nodes leaves no
 * other data node, their shards have nowhere to drain to (the DELETE would wait forever): refused with a
 * `CONFLICT` naming the tables unless `discardData`, which drops them first (`DROP TABLE`: their placements are
 * deleted on the nodes) and says so.
 */
async function discardDistributedTables(
  client: ApiClient,
  deadline: number,
  discardData: boolean,
  say: (line: string) => void,
): Promise<void> {
  const others = Number(
    (
      await client.sql(
        "SELECT count(*) FROM sys_nodes WHERE role = 'data' AND provider <> 'local' AND desired_state = 'running'",
      )
    ).rows[0][0],
  );
  if (others > 0) return; // the shards drain to the remaining data nodes (sys_nodes.status_reason)
  const tables = (
    await client.sql("SELECT name FROM sys_distributed_tables WHERE status = 'active' ORDER BY name")
  ).rows.map((r) => String(r[0]));
  if (tables.length > 0 && !discardData) {
    throw new InfrabaseError(
      'CONFLICT',
      `distributed table${tables.length === 1 ? '' : 's'} ${tables.join(', ')} live${tables.length === 1 ? 's' : ''} only on these data nodes; ` +
        'infrabase down --nodes --discard-data drops them with the nodes (their rows are lost), ' +
        'or keep the nodes (infrabase down without --nodes stops only the control plane)',
    );
  }
  if (tables.length > 0) {
    say(
      `--discard-data: dropping distributed table${tables.length === 1 ? '' : 's'} ${tables.join(', ')} with the nodes; their rows are lost`,
    );
    await client.sql("DELETE FROM sys_distributed_tables WHERE status = 'active'");
  }
  for (;;) {
    const left = Number((await client.sql('SELECT count(*) FROM sys_distributed_tables')).rows[0][0]);
    if (left === 0) return;
    if (Date.now() > deadline) {
      throw new InfrabaseError(
        'TIMEOUT',
        `${left} distributed table(s) are still being dropped (see sys_placements)`,
      );
    }
    await pause(POLL_MS);
  }
}

/**
 * `infrabase down`: stops the control plane holding `config.dataDir` (SIGTERM to the pid in its lock, then waits
 * for the process to exit) and, with `nodes`, first terminates its local nodes through the catalog. When no
 * control plane runs and `nodes` is asked, one is started in this process on a free loopback port for as long
 * as the termination takes, so the rows and the agents go together. Distributed tables that would be left
 * without a data node are refused unless `discardData` (see {@link discardDistributedTables}).
 * @throws InfrabaseError `TIMEOUT` when the nodes or the process outlive `timeoutMs`; API errors as answered.
 */
export async function stopDataDir(config: Config, options: StopOptions = {}): Promise<StopResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const say = options.say ?? (() => undefined);
  const holder = liveDataDirHolder(config.dataDir);
  let nodesTerminated = 0;
  if (options.nodes) {
    if (holder) {
      const token = readTokens(join(config.dataDir, TOKENS_FILE)).admin;
      nodesTerminated = await terminateLocalNodes(
        new ApiClient(holder.url, token),
        timeoutMs,
        options.discardData === true,
        say,
      );
    } else if (existsSync(join(config.dataDir, DB_FILE))) {
      say(`no control plane runs for ${config.dataDir}; starting one on a free port to terminate its nodes`);
      const cp = await startControlPlane(
        { ...config, host: '127.0.0.1', port: 0 },
        { logger: createLogger('warn') },
      );
      try {
        nodesTerminated = await terminateLocalNodes(
          new ApiClient(cp.url, cp.tokens.admin),
          timeoutMs,
          options.discardData === true,
          say,
        );
      } finally {
        await cp.stop();
      }
    }
    say(`${nodesTerminated} local node${nodesTerminated === 1 ? '' : 's'} terminated`);
  }
  if (!holder) {
    say(`no control plane is running for ${config.dataDir}`);
    return { nodesTerminated };
  }
  if (holder.pid === process.pid) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `the control plane of ${config.dataDir} runs in this process`,
    );
  }
  process.kill(holder.pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isLockHolderAlive(holder)) {
    if (Date.now() > deadline) {
      throw new InfrabaseError(
        'TIMEOUT',
        `the control plane (pid ${holder.pid}) is still running ${timeoutMs} ms after SIGTERM`,
      );
    }
    await pause(POLL_MS);
  }
  say(`stopped the control plane at ${holder.url} (pid ${holder.pid})`);
  return { stopped: holder, nodesTerminated };
}
