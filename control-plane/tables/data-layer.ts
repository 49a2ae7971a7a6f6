import {
  DistributedStore,
  type PlacementTransport,
  Rebalancer,
  type RebalancerOptions,
  ShardCoordinator,
  type TerminationVerdict,
} from '../../engine/index.js';
import type { ControlPlaneContext, Service } from '../service.js';
import { AgentClient } from '../training/index.js';
import { HttpPlacementTransport } from './http-placement-transport.js';

export interface DataLayerOptions extends RebalancerOptions {
  /** Time between rebalancer passes when the last one took no step, ms. Default 1000. */
  readonly intervalMs?: number;
}

/**
 * The data layer of the control plane (docs/distributed-tables.md): the write coordinator / shard reader and
 * the rebalancer loop over the agents' placements, started as a service. Other modules reach it through this
 * object: the nodes module asks {@link DataLayer.mayTerminate} before terminating a data node.
 */
export class DataLayer implements Service {
  readonly name = 'data-layer';
  coordinator?: ShardCoordinator;
  rebalancer?: Rebalancer;
  /** How the layer reaches placements (the agents' API), e.g. to compare placement digests. */
  transport?: PlacementTransport;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(private readonly options: DataLayerOptions = {}) {}

  start(ctx: ControlPlaneContext): void {
    const agents = new AgentClient(ctx.nodeTokens);
    const store = new DistributedStore(ctx.db, ctx.clock);
    const transport = new HttpPlacementTransport(ctx.db, agents);
    this.transport = transport;
    this.coordinator = new ShardCoordinator(store, transport);
    this.rebalancer = new Rebalancer(ctx.db, store, this.coordinator, transport, ctx.clock, this.options);
    this.stopped = false;
    const loop = async () => {
      let steps = 0;
      try {
        steps = (await this.rebalancer?.pass()) ?? 0;
      } catch (err) {
        ctx.logger.warn({ err }, 'rebalancer pass failed; retrying');
      }
      if (!this.stopped) this.timer = setTimeout(tick, steps > 0 ? 0 : (this.options.intervalMs ?? 1000));
    };
    const tick = () => {
      this.running = loop();
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** The termination gate: no while the node holds in-sync placements (see Rebalancer.mayTerminate). */
  mayTerminate(nodeId: string): TerminationVerdict {
    if (!this.rebalancer) return { ok: false, reason: 'waiting for the data layer to start' };
    return this.rebalancer.mayTerminate(nodeId);
  }
}
