import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type JoinReply, NODE_TOKEN_FILE, runAgent } from '../../agent/index.js';
import {
  type BootFormat,
  bootData,
  DEFAULT_JOIN_TOKEN_TTL_MS,
  type NodeRow,
  NodeTokens,
} from '../../autoinfra/index.js';
import { nodeRoutes } from '../../control-plane/nodes/index.js';
import { errorHandler } from '../../control-plane/server/index.js';
import { type Clock, type Database, isInfrabaseError } from '../../engine/index.js';
import { type TestContext, testControlPlaneContext } from '../support/context.js';
import { tempDir, waitFor } from '../support/tmp.js';

const T0 = Date.UTC(2030, 0, 1);
const LAUNCH = 'n-1-1-0';
const CP_URL = 'http://127.0.0.1:7420';

let tmp: ReturnType<typeof tempDir>;
let context: TestContext;
let db: Database;
let app: FastifyInstance;
let tokens: NodeTokens;
let t: number;
const clock: Clock = { now: () => t, sleep: (ms, signal) => realSleep(ms, signal) };

function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

const row = () => db.prepare('SELECT * FROM sys_nodes WHERE id = ?').get('n-1') as NodeRow;
const boot = (format: BootFormat = 'agent-json', signer = tokens) =>
  bootData({
    tokens: signer,
    controlPlaneUrl: () => CP_URL,
    heartbeatIntervalMs: 1000,
    formatOf: () => format,
  })(row(), LAUNCH);
const joinToken = () => (JSON.parse(boot()) as { joinToken: string }).joinToken;

async function post(path: string, token: string, endpoint = '127.0.0.1:9000') {
  const res = await app.inject({
    method: 'POST',
    url: path,
    headers: { authorization: `Bearer ${token}` },
    payload: { nodeId: 'n-1', endpoint },
  });
  return { status: res.statusCode, body: res.json() as JoinReply & { error?: { message: string } } };
}

beforeEach(async () => {
  t = T0;
  tmp = tempDir();
  context = testControlPlaneContext({
    dataDir: tmp.dir,
    clock,
    config: { reconciler: { heartbeatIntervalMs: 1000 } },
  });
  ({ db, nodeTokens: tokens } = context.ctx);
  db.prepare("INSERT INTO sys_nodes (id, provider) VALUES ('n-1', 'aws')").run();
  // What the reconciler's first step does: the launch's idempotency token, committed before any cloud call.
  db.prepare('UPDATE sys_nodes SET idempotency_token = ?, updated_at = ? WHERE id = ?').run(
    LAUNCH,
    T0,
    'n-1',
  );
  // What the reconciler records from the provider once the instance exists: the node's address.
  db.prepare("UPDATE sys_nodes SET private_ip = '127.0.0.1' WHERE id = 'n-1'").run();
  app = Fastify();
  app.setErrorHandler(errorHandler);
  await app.register(nodeRoutes(context.ctx));
});

afterEach(async () => {
  await app.close();
  context.close();
  tmp.cleanup();
});

describe('join token lifetime', () => {
  it('records launched_at when the idempotency token is written and signs the join token to expire one TTL later', () => {
    t = T0 + 5_000; // the boot data is rendered later than the launch began, e.g. on a retry
    expect((row() as NodeRow & { launched_at: number }).launched_at).toBe(T0);
    const claims = tokens.verify(joinToken(), 'join', T0);
    expect(claims).toMatchObject({
      nodeId: 'n-1',
      launch: LAUNCH,
      expiresAt: T0 + DEFAULT_JOIN_TOKEN_TTL_MS,
    });
  });

  it('renders byte-identical boot data for a retried launch, also from a restarted control plane, in every format', () => {
    const dir = tempDir('infrabase-keys-');
    try {
      for (const format of ['agent-json', 'cloud-config', 'startup-script'] as const) {
        const first = boot(format, NodeTokens.fromDataDir(dir.dir));
        t = T0 + 600_000;
        expect(boot(format, NodeTokens.fromDataDir(dir.dir))).toBe(first);
        t = T0;
      }
    } finally {
      dir.cleanup();
    }
  });

  it('refuses a join token presented once its launch is older than the TTL as UNAUTHENTICATED, recording nothing', async () => {
    const token = joinToken();
    t = T0 + DEFAULT_JOIN_TOKEN_TTL_MS;
    const res = await post('/v1/nodes/join', token);
    expect(res.status).toBe(401);
    expect(res.body.error?.message).toMatch(/join token of node n-1 expired at 2030-01-01T01:00:00.000Z/);
    expect(row().endpoint).toBeNull();
  });

  it('keeps the join token valid for a later retry of the same launch within the TTL', async () => {
    t = T0 + DEFAULT_JOIN_TOKEN_TTL_MS - 1;
    expect((await post('/v1/nodes/join', joinToken())).status).toBe(200);
  });
});

describe('single-use join token', () => {
  it('accepts the join token again before the first heartbeat (the join reply was lost)', async () => {
    expect((await post('/v1/nodes/join', joinToken())).status).toBe(200);
    const again = await post('/v1/nodes/join', joinToken(), '127.0.0.1:9001');
    expect(again.status).toBe(200);
    expect(row().endpoint).toBe('127.0.0.1:9001');
  });

  it('refuses a second join with the join token after the node heartbeated, as PERMISSION_DENIED, recording nothing', async () => {
    const joined = await post('/v1/nodes/join', joinToken());
    expect((await post('/v1/nodes/heartbeat', joined.body.nodeToken)).status).toBe(200);
    const second = await post('/v1/nodes/join', joinToken(), '203.0.113.9:9000');
    expect(second.status).toBe(403);
    expect(second.body.error?.message).toMatch(/join token of node n-1's launch n-1-1-0 is spent/);
    expect(second.body.nodeToken).toBeUndefined();
    expect(row().endpoint).toBe('127.0.0.1:9000');
  });

  it('lets a node that heartbeated re-join with its node token', async () => {
    const joined = await post('/v1/nodes/join', joinToken());
    await post('/v1/nodes/heartbeat', joined.body.nodeToken);
    const rejoin = await post('/v1/nodes/join', joined.body.nodeToken, '127.0.0.1:9002');
    expect(rejoin.status).toBe(200);
    expect(tokens.verify(rejoin.body.nodeToken, 'node', t).nodeId).toBe('n-1');
    expect(row().endpoint).toBe('127.0.0.1:9002');
  });

  it('lets a node re-join after a partition shorter than the node token TTL, and not after a longer one', async () => {
    const joined = await post('/v1/nodes/join', joinToken());
    await post('/v1/nodes/heartbeat', joined.body.nodeToken);
    t += tokens.nodeTokenTtlMs - 1;
    const back = await post('/v1/nodes/join', joined.body.nodeToken);
    expect(back.status).toBe(200);
    t += tokens.nodeTokenTtlMs;
    const late = await post('/v1/nodes/heartbeat', back.body.nodeToken);
    expect(late.status).toBe(401);
    expect(late.body.error?.message).toMatch(/expired/);
  });

  it('refuses a control token at the join route', () => {
    const err = (() => {
      try {
        return tokens.verify(tokens.controlToken('n-1', LAUNCH, t), ['join', 'node'], t);
      } catch (e) {
        return e;
      }
    })();
    expect(isInfrabaseError(err, 'UNAUTHENTICATED')).toBe(true);
    expect((err as Error).message).toBe('join or node token has a bad signature');
  });
});

describe('a DELETEd node', () => {
  it('keeps heartbeating while it is drained, and is refused once it is terminating', async () => {
    const joined = await post('/v1/nodes/join', joinToken());
    expect((await post('/v1/nodes/heartbeat', joined.body.nodeToken)).status).toBe(200);
    db.prepare("UPDATE sys_nodes SET status = 'ready', desired_state = 'terminated' WHERE id = 'n-1'").run();
    t += 1000;
    // The data layer judges a node by its heartbeats: a draining node must stay alive to hand its shards over.
    expect((await post('/v1/nodes/heartbeat', joined.body.nodeToken)).status).toBe(200);
    expect(row().last_heartbeat_at).toBe(t);
    db.prepare("UPDATE sys_nodes SET status = 'terminating' WHERE id = 'n-1'").run();
    t += 1000;
    const late = await post('/v1/nodes/heartbeat', joined.body.nodeToken);
    expect(late.status).toBe(409);
    expect(late.body.error?.message).toMatch(/no longer current/);
    expect(row().last_heartbeat_at).toBe(t - 1000);
  });
});

describe('a restarted agent', () => {
  it('re-joins with the node token it stored, though its join token is spent', async () => {
    t = Date.now(); // real agents: the token's expiry is checked against this clock
    db.prepare('UPDATE sys_nodes SET idempotency_token = NULL').run();
    db.prepare('UPDATE sys_nodes SET idempotency_token = ?, updated_at = ? WHERE id = ?').run(
      LAUNCH,
      t,
      'n-1',
    );
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const dir = tempDir('infrabase-agent-');
    const errors: unknown[] = [];
    const start = () =>
      runAgent({
        controlPlaneUrl: url,
        nodeId: 'n-1',
        joinToken: joinToken(),
        dataDir: dir.dir,
        heartbeatIntervalMs: 50,
        log: () => undefined,
        onError: (err) => errors.push(err),
      });
    try {
      const first = await start();
      await first.firstHeartbeat;
      await first.stop();
      expect(statSync(join(dir.dir, NODE_TOKEN_FILE)).mode & 0o777).toBe(0o600);

      const beat = row().last_heartbeat_at!;
      t += 1;
      const restarted = await start();
      await restarted.firstHeartbeat;
      expect(row().last_heartbeat_at).toBeGreaterThan(beat);
      await restarted.stop();
      expect(errors).toEqual([]);

      // Without the stored token the spent join token is all it has: refused, and it keeps retrying.
      rmSync(join(dir.dir, NODE_TOKEN_FILE));
      const lost = await start();
      try {
        await waitFor(() => errors.some((e) => isInfrabaseError(e, 'PERMISSION_DENIED')), 5_000, 20);
        expect(existsSync(join(dir.dir, NODE_TOKEN_FILE))).toBe(false);
      } finally {
        await lost.stop();
      }
    } finally {
      dir.cleanup();
    }
  }, 30_000);
});
