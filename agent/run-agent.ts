import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Fastify from 'fastify';
import type { Registry } from 'prom-client';
import type { ControlTokenCheck } from '../autoinfra/index.js';
import { acquireAgentLock } from '../autoinfra/providers/local/index.js';
import {
  type Clock,
  compiledPath,
  createErrorHandler,
  type Database,
  InfrabaseError,
  MAX_TIMER_MS,
  openDatabase,
  PlacementFiles,
  type StatementTimeouts,
  systemClock,
} from '../engine/index.js';
import {
  collectNodeMetrics,
  createRegistry,
  metricsRoute,
  type NodeMetricsSnapshot,
  type SqlMetrics,
  sqlMetrics,
} from '../metrics/index.js';
import { mlExtension, setModelLimits, setNativeBatching, type WorkerPredictSettings } from '../ml/index.js';
import { AgentMesh } from './mesh.js';
import { modelRoutes } from './model-routes.js';
import type { HeartbeatReply, JoinReply } from './node-api.js';
import { NodeCredentials } from './node-credentials.js';
import { placementRoutes } from './placement-routes.js';
import { checkControlToken, shardRoutes } from './shard-routes.js';
import { agentSqlPool } from './sql-pool.js';
import { trainingRoutes } from './training-routes.js';

/**
 * Time limits of user SQL on an agent, ms: the default when the control plane names none, and the longest timer
 * Node.js keeps as the ceiling (the control plane checks a user's `timeoutMs` against its own `sql` config).
 */
export const AGENT_SQL_TIMEOUTS: StatementTimeouts = { defaultTimeoutMs: 30_000, maxTimeoutMs: MAX_TIMER_MS };

/** The entry point of the agent's placement SQL worker (compiled JavaScript). */
const PLACEMENT_WORKER_SCRIPT = compiledPath(import.meta.url, './placement-worker-main.js');

/** How often the agent rewrites its stored node token as heartbeats refresh it, ms. */
const NODE_TOKEN_SAVE_INTERVAL_MS = 60_000;

export interface AgentOptions {
  /** e.g. `http://127.0.0.1:7420`. */
  readonly controlPlaneUrl: string;
  readonly nodeId: string;
  /**
   * The short-lived, single-use join token from the node's boot configuration; presented as a bearer token on
   * the first join. The node token it yields is kept in `<dataDir>/node-token.json` (0600), and a restarted
   * agent re-joins with that instead.
   */
  readonly joinToken: string;
  /** The node's own data dir; holds `shard.db` and the agent lock. */
  readonly dataDir: string;
  /** Address `/healthz` listens on. Default 127.0.0.1. */
  readonly host?: string;
  /** Port; 0 picks a free one. Default 0. */
  readonly port?: number;
  /** ms between heartbeats until the control plane says otherwise. Default 2000. */
  readonly heartbeatIntervalMs?: number;
  readonly clock?: Clock;
  /** Called on every join/heartbeat failure (the agent keeps retrying). */
  readonly onError?: (err: unknown) => void;
  /** One-line notices (whether the mesh is on, and why). Default: stdout with a timestamp. */
  readonly log?: (line: string) => void;
  /**
   * PREDICT's settings on this node (the control plane's `predict` section): the model tensor limit and the
   * native batching switch here and in the SQL workers, the memory limit of the user-SQL workers. Default: ml's
   * tensor limit, no memory limit, native batching.
   */
  readonly predict?: WorkerPredictSettings;
}

export interface AgentHandle {
  /** `host:port` the agent serves on. */
  readonly endpoint: string;
  /** Resolves after the first successful heartbeat. */
  readonly firstHeartbeat: Promise<void>;
  readonly shard: Database;
  /** The agent's registry, served at `GET /metrics` (no `node_id` label: Prometheus adds it as a target label). */
  readonly registry: Registry;
  /** SQL metrics on that registry; shard SQL routes count statements here (the heartbeat's query rate). */
  readonly sql: SqlMetrics;
  isDraining(): boolean;
  stop(): Promise<void>;
}

/**
 * The node agent (`infrabase agent`): takes the node's agent lock, opens `<dataDir>/shard.db`, serves
 * `GET /healthz` and `POST /v1/drain` and `GET /metrics` (a per-agent registry) on `host:port`, joins the control plane with the join token
 * (`POST /v1/nodes/join`; a restarted agent presents the node token it stored instead) and heartbeats every `heartbeatIntervalMs` (`POST /v1/nodes/heartbeat`) with the
 * node token the join returned, each heartbeat carrying `collectNodeMetrics()` (CPU utilisation 0–1, memory,
 * load, query rate from `sql.statements`). Join and heartbeats retry forever (bounded backoff up to 5 s) until `stop`.
 *
 * @throws InfrabaseError `ALREADY_EXISTS` when a live agent of this node already holds the data dir.
 */
export async function runAgent(options: AgentOptions): Promise<AgentHandle> {
  const clock = options.clock ?? systemClock;
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const release = acquireAgentLock(dataDir, options.nodeId);
  let shard: Database | undefined;
  const log =
    options.log ?? ((line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`));
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.setErrorHandler(
    createErrorHandler(
      (err, req) => log(`unhandled error in ${req.method} ${req.url}: ${err.stack}`),
      'the agent log',
    ),
  );
  const abort = new AbortController();
  let draining = false;
  let controlKey: string | undefined;
  // No node_id label on the series: Prometheus attaches it as a target label from the control plane's
  // service discovery (GET /v1/prometheus/targets), and a label of the agent's own would collide with it.
  const registry = createRegistry();
  if (options.predict) {
    setModelLimits({ maxTensorBytes: options.predict.maxTensorBytes });
    setNativeBatching(options.predict.nativeBatching);
  }
  const sql = sqlMetrics(registry);
  // Cluster queries and training_sql run in a worker process (started on first use), killed past their time
  // limit, so a runaway statement cannot stop the heartbeats; the control plane sets the limit of each call.
  const userSql = agentSqlPool({
    dbPath: join(dataDir, 'shard.db'),
    size: 1,
    ...AGENT_SQL_TIMEOUTS,
    registry,
    predict: options.predict,
  });
  // Placements of distributed tables: one SQLite file per (colocation group, shard) under <dataDir>/shards.
  const placements = new PlacementFiles(join(dataDir, 'shards'));
  // Their read-only shard queries run in a worker process too (time limit, PREDICT with the models the control
  // plane copied into shard.db's sys_models); see placement-worker-main.ts.
  const placementSql = agentSqlPool({
    dbPath: dataDir,
    size: 1,
    ...AGENT_SQL_TIMEOUTS,
    registry,
    workerScript: PLACEMENT_WORKER_SCRIPT,
    // The tensor limit only: these workers never had a memory limit.
    ...(options.predict ? { predict: { ...options.predict, workerMemoryBytes: 0 } } : {}),
  });
  try {
    // The shard carries the catalog so sys_models copies and PREDICT work where the rows are.
    shard = openDatabase(join(dataDir, 'shard.db'), {
      role: 'agent',
      migrate: true,
      extensions: [mlExtension],
    });
    // The drain, shard and training endpoints are for the control plane only: a control token signed with the
    // key the join reply handed this agent, naming this node, not expired.
    const controlToken: ControlTokenCheck = {
      nodeId: options.nodeId,
      key: () => controlKey,
      now: () => clock.now(),
    };
    app.get('/healthz', async () => ({ status: draining ? 'draining' : 'ok', nodeId: options.nodeId }));
    app.post('/v1/drain', async (req) => {
      checkControlToken(req, controlToken);
      draining = true;
      return { status: 'draining' };
    });
    await app.register(metricsRoute(registry));
    await app.register(shardRoutes({ shard, userSql, controlToken }));
    await app.register(placementRoutes({ placements, placementSql, tmpDir: dataDir, controlToken }));
    await app.register(trainingRoutes({ shard, userSql, controlToken, placements }));
    await app.register(modelRoutes({ shard, controlToken }));
    await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  } catch (err) {
    await app.close().catch(() => undefined);
    await userSql.close();
    await placementSql.close();
    shard?.close();
    placements.close();
    release();
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (options.port ?? 0);
  const host = options.host ?? '127.0.0.1';
  const endpoint = `${host}:${port}`;
  const base = options.controlPlaneUrl.replace(/\/$/, '');
  const mesh = new AgentMesh({
    nodeId: options.nodeId,
    dataDir,
    controlPlaneUrl: base,
    log,
  });
  let interval = options.heartbeatIntervalMs ?? 2000;
  // A restarted agent re-joins with the node token it stored; the join token is spent once it heartbeated.
  const credentials = new NodeCredentials(dataDir, options.joinToken);
  let nodeToken = credentials.load();
  let joined = false;
  let savedAt = Number.NEGATIVE_INFINITY;
  const keepNodeToken = (token: string, force = false) => {
    nodeToken = token;
    if (force || clock.now() - savedAt >= NODE_TOKEN_SAVE_INTERVAL_MS) {
      credentials.save(token);
      savedAt = clock.now();
    }
  };
  let resolveFirst!: () => void;
  const firstHeartbeat = new Promise<void>((r) => {
    resolveFirst = r;
  });

  let snapshot: NodeMetricsSnapshot | undefined;
  async function heartbeatMetrics() {
    const statements = await sql.statements.get();
    const queriesTotal = statements.values.reduce((sum, v) => sum + v.value, 0);
    const collected = collectNodeMetrics(snapshot, { now: clock.now(), queriesTotal });
    snapshot = collected.snapshot;
    return collected.samples;
  }

  async function post<T>(path: string, token: string, extra: object = {}): Promise<T> {
    const res = await fetch(`${mesh.baseUrl(base)}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        nodeId: options.nodeId,
        endpoint: mesh.endpoint(endpoint, port),
        privateIp: host,
        status: draining ? 'draining' : 'ok',
        ...extra,
      }),
      signal: AbortSignal.any([abort.signal, AbortSignal.timeout(5000)]),
    });
    const body = (await res.json().catch(() => ({}))) as T & { error?: { code?: string; message?: string } };
    if (!res.ok) {
      throw new InfrabaseError(
        res.status === 401
          ? 'UNAUTHENTICATED'
          : res.status === 403
            ? 'PERMISSION_DENIED'
            : res.status === 409
              ? 'CONFLICT'
              : 'UNAVAILABLE',
        `${path} answered ${res.status}: ${body.error?.message ?? ''}`,
      );
    }
    return body;
  }

  const loop = (async () => {
    let failures = 0;
    let soon: number | null = null;
    while (!abort.signal.aborted) {
      try {
        if (!joined || !nodeToken) {
          const reply = await post<JoinReply>('/v1/nodes/join', nodeToken ?? options.joinToken, {
            mesh: await mesh.joinReport(),
          });
          await mesh.onJoin(reply.mesh).catch((err) => options.onError?.(err));
          keepNodeToken(reply.nodeToken, true);
          joined = true;
          controlKey = reply.controlKey;
          interval = reply.heartbeatIntervalMs || interval;
        }
        const hb = await post<HeartbeatReply>('/v1/nodes/heartbeat', nodeToken!, {
          metrics: await heartbeatMetrics(),
          mesh: mesh.heartbeatReport(),
        });
        keepNodeToken(hb.nodeToken);
        if (hb.controlKey) controlKey = hb.controlKey;
        soon = await mesh.onHeartbeat(hb.mesh, clock.now());
        failures = 0;
        resolveFirst();
      } catch (err) {
        if (abort.signal.aborted) return;
        if (err instanceof InfrabaseError && err.code === 'UNAUTHENTICATED') {
          // The node token expired or the key changed: fall back to the join token (refused once spent).
          if (nodeToken) credentials.clear();
          nodeToken = undefined;
          joined = false;
        }
        failures++;
        options.onError?.(err);
      }
      const wait =
        failures === 0
          ? Math.min(interval, soon ?? interval)
          : Math.min(5000, 100 * 2 ** Math.min(failures, 6));
      try {
        await clock.sleep(wait, abort.signal);
      } catch {
        return;
      }
    }
  })();

  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    firstHeartbeat,
    shard,
    registry,
    sql,
    isDraining: () => draining,
    stop() {
      stopped ??= (async () => {
        abort.abort(new Error('agent stopping'));
        await loop;
        await mesh.stop().catch(() => undefined);
        await app.close();
        await userSql.close();
        await placementSql.close();
        shard!.close();
        placements.close();
        release();
      })();
      return stopped;
    },
  };
}
