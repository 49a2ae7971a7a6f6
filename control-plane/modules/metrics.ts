import { scalingPoliciesExtension } from '../../autoinfra/index.js';
import {
  MetricsSampler,
  metricsRoute,
  nodesMetrics,
  prometheusTargetsRoute,
  RetentionJob,
  shardsMetrics,
} from '../../metrics/index.js';
import type { ControlPlaneModule } from '../service.js';

/** `host:port` of a URL, with the scheme's default port when it names none. */
function hostPort(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}

/**
 * Metrics: `/metrics` (public, as Prometheus scrapes it), Prometheus service discovery at
 * `GET /v1/prometheus/targets` (read-only token; the control plane at its advertised URL and every ready
 * node's agent), the `infrabase_nodes` and `infrabase_shard_*` gauges, the sampler that writes
 * this process's series into `sys_metrics`, retention with 1-minute rollups, and the autoscaling policies'
 * SQL triggers on `sys_metrics`.
 */
export const metricsModule: ControlPlaneModule = {
  name: 'metrics',
  extensions: [scalingPoliciesExtension],
  routes: (ctx) => {
    nodesMetrics(ctx.registry, ctx.db);
    shardsMetrics(ctx.registry, ctx.db);
    return [
      metricsRoute(ctx.registry, { config: { auth: 'public' } }),
      prometheusTargetsRoute(ctx.db, {
        controlPlaneAddress: () => hostPort(ctx.config.advertiseUrl ?? ctx.url()),
      }),
    ];
  },
  services: (ctx) => {
    const onError = (err: unknown) => ctx.logger.warn({ err }, 'metrics job failed; retrying');
    const m = ctx.config.metrics;
    return [
      new MetricsSampler({
        db: ctx.db,
        registry: ctx.registry,
        intervalMs: m.sampleIntervalMs,
        clock: ctx.clock,
        onError,
      }),
      new RetentionJob({
        db: ctx.db,
        rawRetentionMs: m.rawRetentionMs,
        rollupRetentionMs: m.rollupRetentionMs,
        clock: ctx.clock,
        onError,
      }),
    ];
  },
};
