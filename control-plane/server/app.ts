import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginAsync,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import type { ApiTokens } from '../auth/index.js';
import { installAuth } from './auth-hook.js';
import { errorHandler } from './errors.js';
import { healthRoutes } from './routes/health.js';

export interface ServerOptions {
  tokens: ApiTokens;
  logger: Logger;
  /** Route plugins: the SQL API and the modules' routes. */
  routes: readonly FastifyPluginAsync[];
  /** Largest request body, bytes (models travel as base64 in SQL parameters). Default 16 MiB. */
  bodyLimit?: number;
}

/** Builds the control plane's HTTP API: bearer-token auth on every non-public route, JSON errors. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger.child({ component: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 16 * 1024 * 1024,
    // Stop promptly: agents hold keep-alive connections that would otherwise delay close by the idle timeout.
    forceCloseConnections: true,
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    reply
      .status(404)
      .send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url}` } });
  });
  installAuth(app, options.tokens);
  await app.register(healthRoutes);
  for (const plugin of options.routes) await app.register(plugin);
  return app;
}
