import type { SqlResponse } from '../../control-plane/client/index.js';
import {
  type ConfigInput,
  type ControlPlane,
  type ControlPlaneModule,
  loadConfig,
  type StartOptions,
  startControlPlane,
} from '../../control-plane/index.js';
import { createLogger } from '../../control-plane/logger.js';
import type { ErrorBody } from '../../engine/index.js';
import { tempDir, waitFor } from './tmp.js';

/**
 * A control plane on a free loopback port in a fresh data dir; `close` stops it, runs `afterStop` (e.g. to
 * stop the local agents it started) and removes the dir. `modules` defaults to all of them; pass `[]` for the
 * bare SQL API.
 */
export async function startTestControlPlane(
  overrides: ConfigInput = {},
  options: {
    modules?: readonly ControlPlaneModule[];
    shardReader?: StartOptions['shardReader'];
    /** Default: a silent one. */
    logger?: StartOptions['logger'];
    /** Prefix of the temp data dir; default `infrabase-cp-`. */
    prefix?: string;
    afterStop?: (dataDir: string) => Promise<void>;
  } = {},
): Promise<{ cp: ControlPlane; dataDir: string; close: () => Promise<void> }> {
  const tmp = tempDir(options.prefix ?? 'infrabase-cp-');
  const config = loadConfig({
    env: {},
    flags: { dataDir: tmp.dir, port: 0, ...overrides, log: { level: 'silent' } },
  });
  const cp = await startControlPlane(config, {
    logger: options.logger ?? createLogger('silent'),
    modules: options.modules,
    shardReader: options.shardReader,
  });
  return {
    cp,
    dataDir: tmp.dir,
    close: async () => {
      await cp.stop();
      await options.afterStop?.(tmp.dir);
      tmp.cleanup();
    },
  };
}

/**
 * Deletes every `sys_nodes` row (the finalizer marks each one terminated), waits up to 30 s for the reconciler
 * to terminate the machines and remove the rows, then runs `close` — also when the wait ran out, so a failed
 * test still stops its control plane.
 */
export async function retireNodesAndClose(cp: ControlPlane, close: () => Promise<void>): Promise<void> {
  const db = cp.context.db;
  db.prepare('DELETE FROM sys_nodes').run();
  await waitFor(() => db.prepare('SELECT count(*) FROM sys_nodes').pluck().get() === 0, 30_000, 50).catch(
    () => undefined,
  );
  await close();
}

/** A JSON answer of the control plane: an SQL result, an error or a health status. */
export type ApiBody = Partial<SqlResponse & ErrorBody & { status: string }>;

/** `fetch` against the control plane with a bearer token; returns status and parsed JSON body. */
export async function call(
  cp: ControlPlane,
  path: string,
  options: { token?: string; body?: unknown; method?: string } = {},
): Promise<{ status: number; body: ApiBody }> {
  const res = await fetch(new URL(path, cp.url), {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
