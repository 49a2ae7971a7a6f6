import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { drainAgent, type NodeRow, type NodeTokens, verifyControlToken } from '../../autoinfra/index.js';
import { nodeRoutes } from '../../control-plane/nodes/index.js';
import { errorHandler } from '../../control-plane/server/index.js';
import { AgentClient, readyDataNodes } from '../../control-plane/training/index.js';
import { type Clock, type Database, openDatabase } from '../../engine/index.js';
import { type TestContext, testControlPlaneContext } from '../support/context.js';
import { tempDir } from '../support/tmp.js';

const LAUNCH = 'n-1-1-0';

/** A loopback HTTP listener that records every request it gets and answers `{}`. */
async function listener(): Promise<{
  port: number;
  seen: Array<{ url: string; headers: IncomingHttpHeaders }>;
  server: Server;
}> {
  const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.setHeader('content-type', 'application/json');
    res.end('{"status":"ok"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, seen, server };
}

let tmp: ReturnType<typeof tempDir>;
let context: TestContext;
let db: Database;
let userDb: Database;
let app: FastifyInstance;
let tokens: NodeTokens;
let good: Awaited<ReturnType<typeof listener>>;
let rogue: Awaited<ReturnType<typeof listener>>;
const clock: Clock = { now: () => Date.now(), sleep: async () => undefined };
const row = () => db.prepare('SELECT * FROM sys_nodes WHERE id = ?').get('n-1') as NodeRow;

async function post(path: string, token: string, body: object) {
  const res = await app.inject({
    method: 'POST',
    url: path,
    headers: { authorization: `Bearer ${token}` },
    payload: { nodeId: 'n-1', ...body },
  });
  return { status: res.statusCode, body: res.json() as { nodeToken: string; controlKey: string } };
}

beforeEach(async () => {
  tmp = tempDir();
  context = testControlPlaneContext({
    dataDir: tmp.dir,
    clock,
    config: { reconciler: { heartbeatIntervalMs: 1000 } },
  });
  ({ db, nodeTokens: tokens } = context.ctx);
  // User SQL runs on SQL-worker connections (POST /v1/sql, the Postgres port).
  userDb = openDatabase(context.ctx.dbPath, { role: 'sql-worker' });
  db.prepare("INSERT INTO sys_nodes (id, role) VALUES ('n-1', 'data')").run();
  // The reconciler: the launch's token, then the provider's address of the instance.
  db.prepare('UPDATE sys_nodes SET idempotency_token = ? WHERE id = ?').run(LAUNCH, 'n-1');
  db.prepare("UPDATE sys_nodes SET private_ip = '127.0.0.1', status = 'booting' WHERE id = 'n-1'").run();
  app = Fastify();
  app.setErrorHandler(errorHandler);
  await app.register(nodeRoutes(context.ctx));
  good = await listener();
  rogue = await listener();
});

afterEach(async () => {
  await app.close();
  userDb.close();
  context.close();
  good.server.close();
  rogue.server.close();
  tmp.cleanup();
});

async function joinAndBeat(heartbeatEndpoint: string): Promise<{ controlKey: string }> {
  const join = await post('/v1/nodes/join', tokens.joinToken('n-1', LAUNCH, Date.now() + 60_000), {
    endpoint: `127.0.0.1:${good.port}`,
  });
  expect(join.status).toBe(200);
  const beat = await post('/v1/nodes/heartbeat', join.body.nodeToken, {
    endpoint: heartbeatEndpoint,
    privateIp: '10.66.0.1',
  });
  expect(beat.status).toBe(200);
  return { controlKey: beat.body.controlKey };
}

describe('where the control plane sends requests (never where a row or a node points it)', () => {
  it('records the port at join and addresses the agent at the provider-reported host', async () => {
    const join = await post('/v1/nodes/join', tokens.joinToken('n-1', LAUNCH, Date.now() + 60_000), {
      endpoint: `198.51.100.7:${good.port}`,
    });
    expect(join.status).toBe(200);
    expect(row()).toMatchObject({ agent_port: good.port, endpoint: `127.0.0.1:${good.port}` });
  });

  it('ignores a heartbeat that reports another endpoint or private address: no request reaches the rogue port', async () => {
    const { controlKey } = await joinAndBeat(`127.0.0.1:${rogue.port}`);
    expect(row()).toMatchObject({
      status: 'ready',
      endpoint: `127.0.0.1:${good.port}`,
      private_ip: '127.0.0.1',
    });
    const client = new AgentClient(tokens);
    const [node] = readyDataNodes(db);
    await client.get(node, '/healthz', 2000);
    await drainAgent(tokens)(row(), new AbortController().signal);
    expect(rogue.seen).toEqual([]);
    expect(good.seen.map((s) => s.url)).toEqual(['/healthz', '/v1/drain']);
    // What reached the agent is a control token only this node's agent accepts, and only for a while.
    for (const { headers } of good.seen) {
      const token = String(headers.authorization).slice('Bearer '.length);
      expect(() =>
        verifyControlToken(token, { nodeId: 'n-1', key: () => controlKey, now: () => Date.now() }),
      ).not.toThrow();
      expect(() =>
        verifyControlToken(token, {
          nodeId: 'n-1',
          key: () => controlKey,
          now: () => Date.now() + 3_600_000,
        }),
      ).toThrow(/expired/);
      expect(() =>
        verifyControlToken(token, {
          nodeId: 'n-2',
          key: () => tokens.controlKey('n-2', 'n-2-1-0'),
          now: () => Date.now(),
        }),
      ).toThrow(/bad signature/);
    }
  });

  it('refuses an admin UPDATE of endpoint through user SQL, and requests still go to the agent', async () => {
    await joinAndBeat(`127.0.0.1:${good.port}`);
    expect(() =>
      userDb.prepare(`UPDATE sys_nodes SET endpoint = '127.0.0.1:${rogue.port}' WHERE id = 'n-1'`).run(),
    ).toThrow(
      /sys_nodes\.endpoint is an observed column, written by the reconciler and the node agents, not by SQL; users may write id, provider/,
    );
    expect(() =>
      userDb
        .prepare(`UPDATE sys_nodes SET private_ip = '127.0.0.2', agent_port = ${rogue.port} WHERE id = 'n-1'`)
        .run(),
    ).toThrow(/is an observed column/);
    expect(row().endpoint).toBe(`127.0.0.1:${good.port}`);
    await new AgentClient(tokens).get(readyDataNodes(db)[0], '/healthz', 2000);
    expect(rogue.seen).toEqual([]);
    expect(good.seen).toHaveLength(1);
  });

  it('lets a heartbeat switch between the addresses the control plane knows (direct and mesh) only', async () => {
    db.prepare("UPDATE sys_nodes SET mesh_ip = '127.0.0.3' WHERE id = 'n-1'").run();
    await joinAndBeat(`127.0.0.3:${good.port}`);
    expect(row().endpoint).toBe(`127.0.0.3:${good.port}`);
  });
});
