import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NODE_TOKEN_FILE } from '../../agent/index.js';
import {
  AGENT_SECRET_FILES,
  INSTANCE_FILE,
  isAgentAlive,
  LocalProvider,
  type NodeRow,
  readAgentLock,
} from '../../autoinfra/index.js';
import { clusterIdOf } from '../../control-plane/index.js';
import { createNodesModule } from '../../control-plane/nodes/index.js';
import { errorHandler } from '../../control-plane/server/index.js';
import type { ControlPlaneContext, Service } from '../../control-plane/service.js';
import type { Database } from '../../engine/index.js';
import { CURRENT_KEY_FILE, NEXT_KEY_FILE } from '../../network/index.js';
import { type TestContext, testControlPlaneContext } from '../support/context.js';
import { stopLocalAgents } from '../support/local-agents.js';
import { tempDir, waitFor } from '../support/tmp.js';

let tmp: ReturnType<typeof tempDir>;
let context: TestContext;
let db: Database;
let app: FastifyInstance;
let ctx: ControlPlaneContext;
let services: Service[] = [];

/**
 * Starts the nodes module as `infrabase up` would: its routes on a fastify server with the control plane's
 * error handler, then its services.
 */
async function startControlPlane(port = 0): Promise<void> {
  const mod = createNodesModule();
  app = Fastify();
  app.setErrorHandler(errorHandler);
  for (const plugin of mod.routes!(ctx)) await app.register(plugin);
  await app.listen({ host: '127.0.0.1', port });
  services = [...mod.services!(ctx)];
  for (const s of services) await s.start(ctx);
}

async function stopControlPlane(): Promise<void> {
  for (const s of services) await s.stop();
  services = [];
  await app.close();
}

beforeEach(() => {
  tmp = tempDir();
  context = testControlPlaneContext({
    dataDir: tmp.dir,
    config: { reconciler: { heartbeatIntervalMs: 200, heartbeatTimeoutMs: 3000, resyncIntervalMs: 500 } },
    url: () => {
      const a = app.server.address();
      return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    },
  });
  ({ ctx } = context);
  ({ db } = ctx);
  ctx.feed.start();
});

afterEach(async () => {
  await stopControlPlane().catch(() => undefined);
  await stopLocalAgents(tmp.dir);
  context.close();
  tmp.cleanup();
});

const row = (id: string) => db.prepare('SELECT * FROM sys_nodes WHERE id = ?').get(id) as NodeRow | undefined;

describe('local provider end to end', () => {
  it('turns INSERT ... DEFAULT VALUES into a ready agent process in under 5 s, and DELETE stops it', async () => {
    await startControlPlane();
    const t0 = Date.now();
    const { id } = db.prepare('INSERT INTO sys_nodes DEFAULT VALUES RETURNING id').get() as { id: string };
    await waitFor(() => row(id)?.status === 'ready', 5000, 20);
    const readyAfter = Date.now() - t0;
    expect(readyAfter).toBeLessThan(5000);
    const r = row(id)!;
    expect(r.endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
    const health = await fetch(`http://${r.endpoint}/healthz`).then((res) => res.json());
    expect(health).toEqual({ status: 'ok', nodeId: id });
    const pid = readAgentLock(join(tmp.dir, 'nodes', id))!.pid;
    expect(isAgentAlive(pid, id)).toBe(true);

    db.prepare('DELETE FROM sys_nodes WHERE id = ?').run(id);
    await waitFor(() => row(id) === undefined, 10_000, 20);
    expect(isAgentAlive(pid, id)).toBe(false);
  });

  it("removes the node's secrets (node token, WireGuard keys) from its data dir once it is terminated", async () => {
    expect([...AGENT_SECRET_FILES].sort()).toEqual([NODE_TOKEN_FILE, CURRENT_KEY_FILE, NEXT_KEY_FILE].sort());
    await startControlPlane();
    const { id } = db.prepare('INSERT INTO sys_nodes DEFAULT VALUES RETURNING id').get() as { id: string };
    await waitFor(() => row(id)?.status === 'ready', 10_000, 20);
    const dir = join(tmp.dir, 'nodes', id);
    expect(existsSync(join(dir, NODE_TOKEN_FILE))).toBe(true);

    db.prepare('DELETE FROM sys_nodes WHERE id = ?').run(id);
    await waitFor(() => row(id) === undefined, 10_000, 20);
    expect(AGENT_SECRET_FILES.filter((f) => existsSync(join(dir, f)))).toEqual([]);
    expect(existsSync(join(dir, INSTANCE_FILE))).toBe(true);
  });

  it('adopts running agents after a control-plane restart instead of starting new ones', async () => {
    await startControlPlane();
    const ids = [1, 2].map(
      () => (db.prepare('INSERT INTO sys_nodes DEFAULT VALUES RETURNING id').get() as { id: string }).id,
    );
    await waitFor(() => ids.every((id) => row(id)?.status === 'ready'), 20_000, 20);
    const pids = ids.map((id) => readAgentLock(join(tmp.dir, 'nodes', id))!.pid);
    const port = new URL(ctx.url()).port;
    await stopControlPlane();

    await startControlPlane(Number(port));
    // The agents keep heartbeating to the new server (same data dir ⇒ same token key) and stay ready.
    const before = Date.now();
    await waitFor(() => ids.every((id) => (row(id)?.last_heartbeat_at ?? 0) > before), 15_000, 20);
    expect(ids.map((id) => readAgentLock(join(tmp.dir, 'nodes', id))!.pid)).toEqual(pids);
    expect(ids.map((id) => row(id)!.attempts)).toEqual([1, 1]);
    const provider = new LocalProvider({ dataDir: tmp.dir, clusterId: clusterIdOf(tmp.dir) });
    expect(await provider.listOwned(new AbortController().signal)).toHaveLength(2);
  });

  it('refuses a heartbeat without a valid node token', async () => {
    await startControlPlane();
    const res = await fetch(`${ctx.url()}/v1/nodes/heartbeat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer forged.token' },
      body: JSON.stringify({ nodeId: 'n-x' }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
  });
});
