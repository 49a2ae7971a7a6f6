import type { Database } from 'better-sqlite3';
import type { FastifyPluginAsync } from 'fastify';

/** Path of the Prometheus HTTP service-discovery endpoint on the control plane. */
export const PROMETHEUS_TARGETS_PATH = '/v1/prometheus/targets';

/** The `role` target label of the control plane itself (nodes carry `sys_nodes.role`: data, compute). */
export const CONTROL_PLANE_ROLE = 'control-plane';

/**
 * One target group of Prometheus' `http_sd` format: `host:port` addresses scraped at `/metrics`, and the
 * labels Prometheus attaches to every series scraped from them.
 */
export interface PrometheusTargetGroup {
  readonly targets: string[];
  readonly labels: Record<string, string>;
}

/**
 * The scrape targets of a cluster in `http_sd` form: first the control plane (`role="control-plane"`), then
 * one group per `ready` node of `sys_nodes` with an agent address (`endpoint`, where its agent serves
 * `/metrics`), labelled `node_id`, `role` and `provider`. Ordered by node id, so equal catalogs give equal
 * answers. Nodes still launching, unreachable, draining or terminating are left out: Prometheus drops a
 * target that leaves the list, and `infrabase_nodes{status}` on the control plane counts them.
 *
 * @param controlPlaneAddress `host:port` Prometheus reaches the control plane's `/metrics` at.
 */
export function prometheusTargets(db: Database, controlPlaneAddress: string): PrometheusTargetGroup[] {
  const nodes = db
    .prepare(
      `SELECT id, role, provider, endpoint FROM sys_nodes
       WHERE status = 'ready' AND endpoint IS NOT NULL ORDER BY id`,
    )
    .all() as { id: string; role: string; provider: string; endpoint: string }[];
  return [
    { targets: [controlPlaneAddress], labels: { role: CONTROL_PLANE_ROLE } },
    ...nodes.map((n) => ({
      targets: [n.endpoint],
      labels: { node_id: n.id, role: n.role, provider: n.provider },
    })),
  ];
}

export interface PrometheusTargetsRouteOptions {
  /** `host:port` of the control plane as Prometheus reaches it (read per request: the port is known late). */
  readonly controlPlaneAddress: () => string;
  /** URL path. Default {@link PROMETHEUS_TARGETS_PATH}. */
  readonly path?: string;
}

/**
 * A fastify plugin serving `GET /v1/prometheus/targets`: {@link prometheusTargets} as JSON, the body of a
 * Prometheus `http_sd_configs` endpoint (`application/json`, a list of `{targets, labels}`). It carries no
 * route config, so on the control plane it sits behind the API's auth hook: Prometheus presents the read-only
 * token (`authorization: { credentials_file: ... }` in its `http_sd_configs`).
 */
export function prometheusTargetsRoute(
  db: Database,
  options: PrometheusTargetsRouteOptions,
): FastifyPluginAsync {
  const path = options.path ?? PROMETHEUS_TARGETS_PATH;
  return async (app) => {
    app.get(path, async (_request, reply) =>
      reply.header('cache-control', 'no-store').send(prometheusTargets(db, options.controlPlaneAddress())),
    );
  };
}
