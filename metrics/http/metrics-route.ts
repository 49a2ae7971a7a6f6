import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';

export interface MetricsRouteOptions {
  /** URL path. Default `/metrics`. */
  path?: string;
  /** Fastify route config, e.g. `{ auth: 'public' }` for the control plane's auth hook. */
  config?: Record<string, unknown>;
}

/**
 * A fastify plugin serving `GET /metrics`: the registry in the Prometheus text exposition format 0.0.4 with
 * its content type (`text/plain; version=0.0.4; charset=utf-8`). Registered by the control plane and by
 * every agent. A collector that throws turns into a 500 with the collector's message.
 *
 * @example
 * const app = fastify();
 * await app.register(metricsRoute(createRegistry()));
 * // curl -s 127.0.0.1:PORT/metrics | promtool check metrics
 */
export function metricsRoute(registry: Registry, options: MetricsRouteOptions = {}): FastifyPluginAsync {
  const path = options.path ?? '/metrics';
  return async (app) => {
    app.get(path, { config: options.config ?? {} }, async (_request, reply) => {
      const body = await registry.metrics();
      return reply
        .header('content-type', registry.contentType)
        .header('cache-control', 'no-store')
        .send(body);
    });
  };
}
