import type { FastifyPluginAsync } from 'fastify';

/** `GET /healthz`: liveness, answered from memory (never touches the database or the SQL pool). */
export const healthRoutes: FastifyPluginAsync = async (app) => {
  const startedAt = Date.now();
  app.get('/healthz', { config: { auth: 'public' } }, async () => ({
    status: 'ok',
    uptimeMs: Date.now() - startedAt,
  }));
};
