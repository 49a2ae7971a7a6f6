import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { HeartbeatReply, JoinReply, NodeReport } from '../../agent/index.js';
import { NodeLifecycle, NodeStore, type NodeTokens } from '../../autoinfra/index.js';
import { type Clock, type Database, InfrabaseError } from '../../engine/index.js';
import { type IngestMetrics, ingestNodeMetrics } from '../../metrics/index.js';
import type { MeshMembership } from '../../network/index.js';
import type { Logger } from '../logger.js';

/**
 * Routes that authenticate with node tokens instead of the admin token; they are declared with
 * `config: { auth: 'public' }` so the server's auth hook lets them through.
 */
export const PUBLIC_NODE_ROUTES = ['/v1/nodes/join', '/v1/nodes/heartbeat'] as const;

export interface NodeRoutesOptions {
  readonly db: Database;
  readonly tokens: NodeTokens;
  readonly clock: Clock;
  /** The lifecycle joins and heartbeats are recorded through; default one over `db` with `tokens`. */
  readonly lifecycle?: NodeLifecycle;
  /** Sent to agents in the join reply, in ms. */
  readonly heartbeatIntervalMs: number;
  /** The WireGuard mesh (joins get addresses, heartbeats get peer lists); absent: no mesh. */
  readonly mesh?: MeshMembership;
  /** Counts heartbeat samples (`infrabase_metrics_samples_ingested_total{source="heartbeat"}`). */
  readonly ingest: IngestMetrics;
  /** Joins and first heartbeats are logged here at info level (`node.join`, `node.ready`). */
  readonly logger?: Pick<Logger, 'info'>;
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
 * The node agents' API, a thin adapter over autoinfra's {@link NodeLifecycle}: `POST /v1/nodes/join` and
 * `POST /v1/nodes/heartbeat` (bearer node token; see `NodeLifecycle` for the token rules: a replaced or
 * deleted launch answers 409, a spent join token 403). The join records the agent's port; `sys_nodes.endpoint`
 * is only ever one of the addresses the control plane knows itself (provider-reported `private_ip`/`public_ip`,
 * or the `mesh_ip` it allocated) with that port, and `privateIp` reports are ignored. The `mesh` part goes to
 * the network module's {@link MeshMembership}. A heartbeat's `metrics` go to `sys_metrics` (via
 * `ingestNodeMetrics`, so scaling policies fire) in the heartbeat's transaction — invalid samples answer 400
 * and nothing is recorded.
 */
export function nodeRoutes(options: NodeRoutesOptions): FastifyPluginAsync {
  const { db } = options;
  const lifecycle = options.lifecycle ?? new NodeLifecycle(new NodeStore(db), options.tokens, options.clock);
  return async (app) => {
    app.post(PUBLIC_NODE_ROUTES[0], { config: { auth: 'public' } }, async (req) => {
      const claims = lifecycle.verify(bearer(req), 'join');
      const body = report(req);
      const node = lifecycle.authorize(claims, body);
      const joined = lifecycle.join(node, body);
      const rejoin = claims.purpose === 'node';
      options.logger?.info(
        {
          event: 'node.join',
          node: node.row.id,
          launch: node.row.idempotency_token,
          provider: node.row.provider,
          rejoin,
        },
        rejoin ? 'node re-joined with its node token' : 'node joined',
      );
      const out: JoinReply = {
        nodeId: node.row.id,
        nodeToken: joined.nodeToken,
        controlKey: joined.controlKey,
        heartbeatIntervalMs: options.heartbeatIntervalMs,
        mesh: body.mesh === undefined ? null : (options.mesh?.join(node.row, body.mesh, req.ip) ?? null),
      };
      return out;
    });
    app.post(PUBLIC_NODE_ROUTES[1], { config: { auth: 'public' } }, async (req) => {
      const claims = lifecycle.verify(bearer(req), 'node');
      const body = report(req);
      const node = lifecycle.authorize(claims, body);
      const beat = lifecycle.heartbeat(node, body, (now) => {
        if (body.metrics?.length) ingestNodeMetrics(db, node.row.id, body.metrics, now, options.ingest);
      });
      const { status } = node.row;
      if (status === 'booting' || status === 'unreachable') {
        options.logger?.info(
          {
            event: 'node.ready',
            node: node.row.id,
            launch: node.row.idempotency_token,
            provider: node.row.provider,
          },
          status === 'booting' ? 'node ready: first heartbeat' : 'node ready: heartbeat resumed',
        );
      }
      const out: HeartbeatReply = {
        nodeToken: beat.nodeToken,
        controlKey: beat.controlKey,
        desiredState: node.row.desired_state,
        mesh: options.mesh?.heartbeat(node.row, body.mesh) ?? null,
      };
      return out;
    });
  };
}
