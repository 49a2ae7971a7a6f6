import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { NodeRow } from '../../autoinfra/index.js';
import { type Clock, type Database, InfrabaseError } from '../../engine/index.js';
import { ingestNodeMetrics, type NodeMetricSample } from '../../metrics/index.js';
import type { MeshMembership } from './mesh-membership.js';
import type { MeshHeartbeatReply, MeshJoinReply } from './mesh-protocol.js';
import type { NodeTokenClaims, NodeTokens } from './node-tokens.js';

/**
 * Routes that authenticate with node tokens instead of the admin token; they are declared with
 * `config: { auth: 'public' }` so the server's auth hook lets them through.
 */
export const PUBLIC_NODE_ROUTES = ['/v1/nodes/join', '/v1/nodes/heartbeat'] as const;

export interface NodeRoutesOptions {
  readonly db: Database;
  readonly tokens: NodeTokens;
  readonly clock: Clock;
  /** Sent to agents in the join reply, in ms. */
  readonly heartbeatIntervalMs: number;
  /** The WireGuard mesh (joins get addresses, heartbeats get peer lists); absent: no mesh. */
  readonly mesh?: MeshMembership;
}

/** Body of `POST /v1/nodes/join` and `POST /v1/nodes/heartbeat`. */
export interface NodeReport {
  readonly nodeId: string;
  /** The agent's `host:port`. */
  readonly endpoint?: string;
  /** Ignored: the node's addresses come from the provider (and the mesh), never from the node. */
  readonly privateIp?: string;
  /** The agent's own view: `ok` or `draining`. */
  readonly status?: string;
  /** WireGuard side: `MeshJoinReport` on join, `MeshHeartbeatReport` on heartbeats. */
  readonly mesh?: unknown;
  /** Heartbeat only: the node's metrics (`collectNodeMetrics`), stored in `sys_metrics` with the node id. */
  readonly metrics?: readonly NodeMetricSample[];
}

/** Reply of `POST /v1/nodes/join`. */
export interface JoinReply {
  readonly nodeId: string;
  readonly nodeToken: string;
  /** Hex key the agent checks the control plane's control tokens with (see verifyControlToken). */
  readonly controlKey: string;
  /** ms. */
  readonly heartbeatIntervalMs: number;
  /** The node's mesh address and peers, or `mode: 'off'` and why; null when the node sent no key. */
  readonly mesh: MeshJoinReply | null;
}

/** Reply of `POST /v1/nodes/heartbeat`. */
export interface HeartbeatReply {
  readonly nodeToken: string;
  /** The same control key as in the join reply (so an agent always holds the current launch's key). */
  readonly controlKey: string;
  readonly desiredState: string;
  /** The node's current peer list; null when it is not in the mesh. */
  readonly mesh?: MeshHeartbeatReply | null;
}

/**
 * SQL for the agent address of a row with agent port `port`: the reported `@endpoint` when it is one of
 * `mesh_ip:port`, `private_ip:port`, `public_ip:port` (the node picks mesh or direct, nothing else); otherwise
 * the current `endpoint` when it is still one of them; otherwise `private_ip:port`; NULL while unknown.
 */
function agentEndpointSql(port: string): string {
  const own = (e: string) =>
    `(${port} IS NOT NULL AND ${e} IN (mesh_ip || ':' || ${port}, private_ip || ':' || ${port}, public_ip || ':' || ${port}))`;
  return `CASE WHEN ${own('@endpoint')} THEN @endpoint WHEN ${own('endpoint')} THEN endpoint
    WHEN ${port} IS NOT NULL AND private_ip IS NOT NULL THEN private_ip || ':' || ${port} ELSE NULL END`;
}

/** The port of a reported `host:port` (1-65535, parsed as a URL authority), or null. */
function agentPort(endpoint: string | undefined): number | null {
  if (!endpoint) return null;
  let port: number;
  try {
    port = Number(new URL(`http://${endpoint}`).port);
  } catch {
    return null;
  }
  return port >= 1 && port <= 65535 ? port : null;
}

function bearer(req: FastifyRequest): string {
  const h = req.headers.authorization;
  if (!h?.startsWith('Bearer ')) {
    throw new InfrabaseError('UNAUTHENTICATED', 'missing Authorization: Bearer <node token> header');
  }
  return h.slice(7).trim();
}

function report(req: FastifyRequest): NodeReport {
  const b = req.body as Partial<NodeReport> | undefined;
  if (!b || typeof b.nodeId !== 'string') {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      'body must be JSON {"nodeId": "...", "endpoint": "host:port"}',
    );
  }
  for (const k of ['endpoint', 'privateIp', 'status'] as const) {
    if (b[k] !== undefined && (typeof b[k] !== 'string' || b[k]!.length > 255)) {
      throw new InfrabaseError('INVALID_ARGUMENT', `${k} must be a string of at most 255 characters`);
    }
  }
  if (b.metrics !== undefined && !Array.isArray(b.metrics)) {
    throw new InfrabaseError('INVALID_ARGUMENT', 'metrics must be an array of {"name", "value", "labels"?}');
  }
  return b as NodeReport;
}

/**
 * The node agents' API: `POST /v1/nodes/join` and `POST /v1/nodes/heartbeat` (bearer node token). Both check
 * that the token's node and launch still match the row (a token of a replaced launch, or of a DELETEd node once
 * it is terminating, is refused with 409; a DELETEd node keeps heartbeating while the data layer drains it). A join presents either the launch's join token or, when the agent re-joins (it restarted, or its
 * mesh state is gone), its node token — as a Tailscale node re-authenticates with its node key while its auth
 * key is one-off. The join token is short-lived (expiry signed into it, derived from the launch) and
 * single-use: it is spent once the node has heartbeated (a join whose reply was lost may be repeated until
 * then); a later join with it answers 403 `PERMISSION_DENIED` and records nothing. The join records the
 * agent's port (`agent_port`, from the reported `endpoint`); `sys_nodes.endpoint` — where the control plane
 * sends requests and control tokens — is only ever one of the addresses the control plane knows itself
 * (provider-reported `private_ip`/`public_ip`, or the `mesh_ip` it allocated) with that port: a reported
 * endpoint selects among them (mesh or direct) and anything else is ignored, and `privateIp` reports are
 * ignored. A heartbeat records `last_heartbeat_at` (and may switch `endpoint` among those addresses) and
 * turns a `booting` or `unreachable` row `ready`; its
 * `metrics` go to `sys_metrics` (via `ingestNodeMetrics`, so scaling policies fire) in the same transaction —
 * invalid samples answer 400 and nothing is recorded.
 */
export function nodeRoutes(options: NodeRoutesOptions): FastifyPluginAsync {
  const { db, tokens, clock } = options;
  const getRow = db.prepare<[string], NodeRow>('SELECT * FROM sys_nodes WHERE id = ?');
  // A join token's join only counts while the launch has never heartbeated (checked and set atomically).
  // The agent's port is recorded at join; its host is never taken from the node (see agentEndpointSql).
  const recordJoin = db.prepare(
    `UPDATE sys_nodes SET agent_port = @port, endpoint = ${agentEndpointSql('CAST(@port AS INTEGER)')}, updated_at = @now
     WHERE id = @id AND idempotency_token = @launch AND (@rejoin OR last_heartbeat_at IS NULL)`,
  );
  const recordHeartbeat = db.prepare(
    `UPDATE sys_nodes SET last_heartbeat_at = @now, endpoint = ${agentEndpointSql('agent_port')},
       status = CASE WHEN status IN ('booting', 'unreachable') THEN 'ready' ELSE status END,
       status_reason = CASE WHEN status IN ('booting', 'unreachable') THEN 'heartbeat received' ELSE status_reason END,
       updated_at = CASE WHEN status IN ('booting', 'unreachable') THEN @now ELSE updated_at END
     WHERE id = @id AND idempotency_token = @launch`,
  );

  function authorize(
    req: FastifyRequest,
    purpose: 'join' | 'node',
  ): { body: NodeReport; row: NodeRow; claims: NodeTokenClaims } {
    const claims = tokens.verify(bearer(req), purpose === 'join' ? ['join', 'node'] : 'node', clock.now());
    const body = report(req);
    if (claims.nodeId !== body.nodeId) {
      throw new InfrabaseError('UNAUTHENTICATED', `token is for node ${claims.nodeId}, not ${body.nodeId}`);
    }
    const row = getRow.get(body.nodeId);
    if (!row) throw new InfrabaseError('NOT_FOUND', `no sys_nodes row ${body.nodeId}`);
    // A DELETEd node is still the current launch until it is terminating: its heartbeats keep it alive for
    // the data layer, which moves its shards away before the termination gate lets it go.
    const retiring = row.desired_state !== 'running' && ['terminating', 'terminated'].includes(row.status);
    if (row.idempotency_token !== claims.launch || retiring) {
      throw new InfrabaseError(
        'CONFLICT',
        `node ${body.nodeId}'s token belongs to a launch that is no longer current`,
      );
    }
    return { body, row, claims };
  }

  function spent(row: NodeRow): InfrabaseError {
    return new InfrabaseError(
      'PERMISSION_DENIED',
      `the join token of node ${row.id}'s launch ${row.idempotency_token} is spent: the node joined and ` +
        `heartbeated at ${new Date(row.last_heartbeat_at ?? 0).toISOString()}; a running agent re-joins with its node token`,
    );
  }

  return async (app) => {
    app.post(PUBLIC_NODE_ROUTES[0], { config: { auth: 'public' } }, async (req) => {
      const { body, row, claims } = authorize(req, 'join');
      const rejoin = claims.purpose === 'node';
      if (!rejoin && row.last_heartbeat_at !== null) throw spent(row);
      const now = clock.now();
      const joined = recordJoin.run({
        id: row.id,
        launch: row.idempotency_token,
        rejoin: rejoin ? 1 : 0,
        port: agentPort(body.endpoint),
        endpoint: body.endpoint ?? null,
        now,
      });
      if (joined.changes === 0) {
        const current = getRow.get(row.id);
        if (current && current.idempotency_token === row.idempotency_token) throw spent(current);
        throw new InfrabaseError(
          'CONFLICT',
          `node ${row.id}'s token belongs to a launch that is no longer current`,
        );
      }
      const out: JoinReply = {
        nodeId: row.id,
        nodeToken: tokens.nodeToken(row.id, row.idempotency_token!, now),
        controlKey: tokens.controlKey(row.id, row.idempotency_token!),
        heartbeatIntervalMs: options.heartbeatIntervalMs,
        mesh: body.mesh === undefined ? null : (options.mesh?.join(row, body.mesh, req.ip) ?? null),
      };
      return out;
    });
    app.post(PUBLIC_NODE_ROUTES[1], { config: { auth: 'public' } }, async (req) => {
      const { body, row } = authorize(req, 'node');
      const now = clock.now();
      db.transaction(() => {
        recordHeartbeat.run({
          id: row.id,
          launch: row.idempotency_token,
          endpoint: body.endpoint ?? null,
          now,
        });
        if (body.metrics?.length) ingestNodeMetrics(db, row.id, body.metrics, now);
      })();
      const out: HeartbeatReply = {
        nodeToken: tokens.nodeToken(row.id, row.idempotency_token!, now),
        controlKey: tokens.controlKey(row.id, row.idempotency_token!),
        desiredState: row.desired_state,
        mesh: options.mesh?.heartbeat(row, body.mesh) ?? null,
      };
      return out;
    });
  };
}
