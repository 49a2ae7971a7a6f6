import {
  DistributedStore,
  type PlacementTransport,
  Rebalancer,
  ShardCoordinator,
  type TerminationVerdict,
} from '../../engine/index.js';
import type { ControlPlaneContext, Service } from '../service.js';
import { AgentClient } from '../training/index.js';
import { HttpPlacementTransport } from './http-placement-transport.js';

/** Overrides of the config's `distributed` settings (tests); each field defaults to the config's. */
export interface DataLayerOptions {
  /** Time between rebalancer passes when the last one took no step, ms. */
  readonly intervalMs?: number;
  readonly maxConcurrentMoves?: number;
  readonly nodeDeadAfterMs?: number;
  /** Byte rate shared by snapshot copies, MiB/s; 0: unlimited. */
  readonly moveMaxMBPerSecond?: number;
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
    const cfg = ctx.config.distributed;
    const interval = this.options.intervalMs ?? cfg.rebalanceIntervalMs;
    this.rebalancer = new Rebalancer(ctx.db, store, this.coordinator, transport, ctx.clock, {
      maxConcurrentMoves: this.options.maxConcurrentMoves ?? cfg.maxConcurrentMoves,
      nodeDeadAfterMs: this.options.nodeDeadAfterMs ?? cfg.nodeDeadAfterMs,
      moveBytesPerSecond: (this.options.moveMaxMBPerSecond ?? cfg.moveMaxMBPerSecond) * 1024 * 1024,
    });
    this.stopped = false;
    const loop = async () => {
      let steps = 0;
      try {
        steps = (await this.rebalancer?.pass()) ?? 0;
      } catch (err) {
        ctx.logger.warn({ err }, 'rebalancer pass failed; retrying');
      }
      if (!this.stopped) this.timer = setTimeout(tick, steps > 0 ? 0 : interval);
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
