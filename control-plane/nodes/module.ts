import { resolve } from 'node:path';
import { agentPredictEnv } from '../../agent/index.js';
import {
  attemptedActionClass,
  bootData,
  type CloudProvider,
  drainAgent,
  LocalProvider,
  meteredProvider,
  Reconciler,
  reconcileActionClass,
  reconcileErrorClass,
  type TerminationGate,
} from '../../autoinfra/index.js';
import { cloudMetrics, reconcileMetrics } from '../../metrics/index.js';
import { MeshHubService } from '../../network/index.js';
import { logNodeEvent } from '../lifecycle-log/index.js';
import type { ControlPlaneContext, ControlPlaneModule, Service } from '../service.js';
import { nodeHealthRoute } from './health-route.js';
import { nodeRoutes } from './routes.js';

export interface NodesModuleOptions {
  /**
   * Cloud providers besides `local` (e.g. the aws and gcp adapters), built once the cluster id is known.
   * A provider named `local` here replaces the default one.
   */
  readonly providers?: (
    ctx: ControlPlaneContext,
    clusterId: string,
  ) => readonly CloudProvider[] | Promise<readonly CloudProvider[]>;
  /** Asked before a data node is terminated (the data layer's drain of its shards); default: always yes. */
  readonly terminationGate?: TerminationGate;
}

/** Runs the {@link Reconciler} over `sys_nodes` for the control plane's lifetime. */
class ReconcilerService implements Service {
  readonly name = 'reconciler';
  private reconciler?: Reconciler;

  constructor(private readonly options: NodesModuleOptions) {}

  async start(ctx: ControlPlaneContext): Promise<void> {
    const dataDir = resolve(ctx.config.dataDir);
    const clusterId = ctx.clusterId;
    const tokens = ctx.nodeTokens;
    const providers = new Map<string, CloudProvider>();
    const local = ctx.config.providers.local;
    providers.set(
      'local',
      new LocalProvider({
        dataDir,
        clusterId,
        host: local.host,
        launcher: local.launcher,
        agentEnv: agentPredictEnv(ctx.config.predict),
      }),
    );
    for (const p of (await this.options.providers?.(ctx, clusterId)) ?? []) providers.set(p.name, p);
    const r = ctx.config.reconciler;
    const cloud = cloudMetrics(ctx.registry);
    const metrics = reconcileMetrics(ctx.registry);
    const reconciler: Reconciler = new Reconciler({
      db: ctx.db,
      feed: ctx.feed,
      providers: [...providers.values()].map((p) => meteredProvider(p, cloud)),
      clusterId,
      clock: ctx.clock,
      concurrency: r.concurrency,
      resyncIntervalMs: r.resyncIntervalMs,
      heartbeatTimeoutMs: r.heartbeatTimeoutMs,
      registrationTimeoutMs: r.registrationTimeoutMs,
      orphanGracePeriodMs: r.orphanGracePeriodMs,
      capacityCooloffMs: r.capacityCooloffMs,
      rateLimit: r.rateLimit,
      userData: bootData({
        tokens,
        controlPlaneUrl: () => ctx.config.advertiseUrl ?? ctx.url(),
        heartbeatIntervalMs: r.heartbeatIntervalMs,
        agentPort: r.agentPort,
        joinTokenTtlMs: r.joinTokenTtlMs,
        formatOf: (name) => providers.get(name)?.bootFormat,
      }),
      drain: drainAgent(tokens),
      terminationGate: this.options.terminationGate,
      onStep: (id, outcome, durationMs) => {
        if (id === 'orphan-collector') {
          ctx.logger.warn(
            { err: 'error' in outcome ? outcome.error : undefined },
            'orphan collection failed',
          );
          return;
        }
        const isError = 'error' in outcome;
        const action = isError
          ? attemptedActionClass(reconciler.store.get(id))
          : reconcileActionClass(outcome.action);
        metrics.reconciles.inc({ action, result: isError ? reconcileErrorClass(outcome.error) : 'ok' });
        metrics.duration.observe({ action }, durationMs / 1000);
        if (isError) ctx.logger.warn({ node: id, err: outcome.error }, 'reconcile failed; backing off');
        else if (outcome.event) logNodeEvent(ctx.logger, id, outcome.event);
        else ctx.logger.debug({ node: id, action: outcome.action }, 'reconciled');
      },
      onOrphanTerminated: (provider, orphan) => {
        metrics.orphansTerminated.inc({ provider });
        ctx.logger.info(
          {
            event: 'node.orphan_terminated',
            provider,
            instance: orphan.instance.id,
            node: orphan.instance.nodeId,
            reason: orphan.reason,
          },
          'orphan instance terminated',
        );
      },
    });
    // Read at scrape time: prom-client calls a metric's `collect` before each exposition (the declaration
    // has none, and a restarted service replaces this one's).
    Object.assign(metrics.queueDepth, {
      collect: () => metrics.queueDepth.set(reconciler.queueDepth()),
    });
    this.reconciler = reconciler;
    reconciler.start();
  }

  async stop(): Promise<void> {
    await this.reconciler?.stop();
  }
}

/**
 * The nodes module: the reconciler service (sys_nodes ⇄ providers, orphan collection) and the agents'
 * join/heartbeat routes ({@link PUBLIC_NODE_ROUTES}, marked `auth: 'public'`: they check node tokens
 * themselves). Instances are tagged with `ctx.clusterId`.
 *
 * @example
 * const modules = [createNodesModule({ providers: (ctx, clusterId) => [awsProvider(ctx, clusterId)] })];
 */
export function createNodesModule(options: NodesModuleOptions = {}): ControlPlaneModule {
  return {
    name: 'nodes',
    services: (ctx) => [new MeshHubService(ctx.mesh), new ReconcilerService(options)],
    routes: (ctx) => [nodeRoutes(ctx), nodeHealthRoute(ctx.db)],
  };
}
