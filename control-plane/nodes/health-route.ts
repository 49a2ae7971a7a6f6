import type { FastifyPluginAsync } from 'fastify';
import type { Database } from '../../engine/index.js';

/**
 * `GET /v1/nodes/:id/health` (admin or read token): the control plane asks the node's agent for its
 * `/healthz` at `sys_nodes.endpoint` — the mesh address once the node is in the mesh — and answers
 * `{ nodeId, endpoint, health }` with the agent's reply; 404 for an unknown node or one without an endpoint,
 * 502 when the agent does not answer within 2 s.
 */
export function nodeHealthRoute(db: Database): FastifyPluginAsync {
  const endpointOf = db.prepare<[string], { endpoint: string | null }>(
    'SELECT endpoint FROM sys_nodes WHERE id = ?',
  );
  return async (app) => {
    app.get<{ Params: { id: string } }>('/v1/nodes/:id/health', async (req, reply) => {
      const endpoint = endpointOf.get(req.params.id)?.endpoint;
      if (!endpoint) {
        return reply.code(404).send({
          error: { code: 'NOT_FOUND', message: `node '${req.params.id}' has no endpoint in sys_nodes` },
        });
      }
      try {
        const res = await fetch(`http://${endpoint}/healthz`, { signal: AbortSignal.timeout(2000) });
        return { nodeId: req.params.id, endpoint, health: await res.json() };
      } catch (err) {
        return reply.code(502).send({
          error: {
            code: 'UNAVAILABLE',
            message: `agent at ${endpoint} did not answer: ${(err as Error).message}`,
          },
        });
      }
    });
  };
}
