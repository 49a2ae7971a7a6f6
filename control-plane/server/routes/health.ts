import type { FastifyPluginAsync } from 'fastify';
import { VERSION } from '../../../engine/index.js';

/**
 * `GET /healthz` → `{status: 'ok', uptimeMs, version}`: liveness and this build's version, answered from memory
 * (never touches the database or the SQL pool).
 */
export const healthRoutes: FastifyPluginAsync = async (app) => {
  const startedAt = Date.now();
  app.get('/healthz', { config: { auth: 'public' } }, async () => ({
    status: 'ok',
    uptimeMs: Date.now() - startedAt,
    version: VERSION,
  }));
};
