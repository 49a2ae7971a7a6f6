import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginAsync,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import type { ApiTokens } from '../auth/index.js';
import { installAuth } from './auth-hook.js';
import type { BoundServer } from './bind.js';
import { errorHandler } from './errors.js';
import { healthRoutes } from './routes/health.js';

export interface ServerOptions {
  tokens: ApiTokens;
  logger: Logger;
  /** Route plugins: the SQL API and the modules' routes. */
  routes: readonly FastifyPluginAsync[];
  /** Largest request body, bytes (models travel as base64 in SQL parameters). Default 16 MiB. */
  bodyLimit?: number;
  /**
   * A server already listening (`bindHttpServer`): the app is made ready and serves on it instead of calling
   * `listen`; the caller closes it after `app.close()`.
   */
  bound?: BoundServer;
}

/** Builds the control plane's HTTP API: bearer-token auth on every non-public route, JSON errors. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  let handler: Parameters<BoundServer['serve']>[0] | undefined;
  const app = Fastify({
    loggerInstance: options.logger.child({ component: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 16 * 1024 * 1024,
    // Stop promptly: agents hold keep-alive connections that would otherwise delay close by the idle timeout.
    forceCloseConnections: true,
    ...(options.bound
      ? {
          serverFactory: (h: Parameters<BoundServer['serve']>[0]) => {
            handler = h;
            return options.bound!.server;
          },
        }
      : {}),
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
  if (options.bound && handler) {
    await app.ready();
    options.bound.serve(handler);
  }
  return app;
}
