import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { HeartbeatReply, JoinReply, NodeReport } from '../../agent/index.js';
import { NodeLifecycle } from '../../autoinfra/index.js';
import { InfrabaseError } from '../../engine/index.js';
import { ingestMetrics, ingestNodeMetrics } from '../../metrics/index.js';
import type { ControlPlaneContext } from '../service.js';

/**
 * Routes that authenticate with node tokens instead of the admin token; they are declared with
 * `config: { auth: 'public' }` so the server's auth hook lets them through.
 */
export const PUBLIC_NODE_ROUTES = ['/v1/nodes/join', '/v1/nodes/heartbeat'] as const;

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
 *
 * From the context: the `sys_nodes` store, node tokens and clock the lifecycle records through, the heartbeat
 * interval sent in join replies (`config.reconciler.heartbeatIntervalMs`), the mesh membership, the registry
 * counting heartbeat samples (`infrabase_metrics_samples_ingested_total{source="heartbeat"}`), and the logger
 * joins and first heartbeats are logged to at info level (`node.join`, `node.ready`).
 */
export function nodeRoutes(ctx: ControlPlaneContext): FastifyPluginAsync {
  const { db, mesh, logger } = ctx;
  const lifecycle = new NodeLifecycle(ctx.nodes, ctx.nodeTokens, ctx.clock);
  const ingest = ingestMetrics(ctx.registry);
  const heartbeatIntervalMs = ctx.config.reconciler.heartbeatIntervalMs;
  return async (app) => {
    app.post(PUBLIC_NODE_ROUTES[0], { config: { auth: 'public' } }, async (req) => {
      const claims = lifecycle.verify(bearer(req), 'join');
      const body = report(req);
      const node = lifecycle.authorize(claims, body);
      const joined = lifecycle.join(node, body);
      const rejoin = claims.purpose === 'node';
      logger.info(
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
        heartbeatIntervalMs,
        mesh: body.mesh === undefined ? null : mesh.join(node.row, body.mesh, req.ip),
      };
      return out;
    });
    app.post(PUBLIC_NODE_ROUTES[1], { config: { auth: 'public' } }, async (req) => {
      const claims = lifecycle.verify(bearer(req), 'node');
      const body = report(req);
      const node = lifecycle.authorize(claims, body);
      const beat = lifecycle.heartbeat(node, body, (now) => {
        if (body.metrics?.length) ingestNodeMetrics(db, node.row.id, body.metrics, now, ingest);
      });
      if (beat.change?.status === 'ready') {
        logger.info(
          {
            event: 'node.ready',
            node: node.row.id,
            launch: node.row.idempotency_token,
            provider: node.row.provider,
          },
          node.row.status === 'booting' ? 'node ready: first heartbeat' : 'node ready: heartbeat resumed',
        );
      }
      const out: HeartbeatReply = {
        nodeToken: beat.nodeToken,
        controlKey: beat.controlKey,
        desiredState: node.row.desired_state,
        mesh: mesh.heartbeat(node.row, body.mesh),
      };
      return out;
    });
  };
}
