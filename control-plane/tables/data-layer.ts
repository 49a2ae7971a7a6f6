import {
  DistributedDataLayer,
  type PlacementTransport,
  type Rebalancer,
  type ShardCoordinator,
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
 * The data layer (engine's {@link DistributedDataLayer}) as a control-plane service: started over the agents'
 * placement API (HTTP) with the config's `distributed` settings, its failed passes logged. The nodes module
 * asks {@link DataLayer.mayTerminate} before terminating a data node.
 */
export class DataLayer implements Service {
  readonly name = 'data-layer';
  private layer?: DistributedDataLayer;

  constructor(private readonly options: DataLayerOptions = {}) {}

  /** The write coordinator / shard reader; undefined until started. */
  get coordinator(): ShardCoordinator | undefined {
    return this.layer?.coordinator;
  }

  get rebalancer(): Rebalancer | undefined {
    return this.layer?.rebalancer;
  }

  /** How the layer reaches placements (the agents' API), e.g. to compare placement digests. */
  get transport(): PlacementTransport | undefined {
    return this.layer?.transport;
  }

  start(ctx: ControlPlaneContext): void {
    const cfg = ctx.config.distributed;
    const o = this.options;
    this.layer = new DistributedDataLayer(
      ctx.db,
      ctx.clock,
      new HttpPlacementTransport(ctx.db, new AgentClient(ctx.nodeTokens)),
      {
        intervalMs: o.intervalMs ?? cfg.rebalanceIntervalMs,
        maxConcurrentMoves: o.maxConcurrentMoves ?? cfg.maxConcurrentMoves,
        nodeDeadAfterMs: o.nodeDeadAfterMs ?? cfg.nodeDeadAfterMs,
        moveBytesPerSecond: (o.moveMaxMBPerSecond ?? cfg.moveMaxMBPerSecond) * 1024 * 1024,
      },
      (err) => ctx.logger.warn({ err }, 'rebalancer pass failed; retrying'),
    );
    this.layer.start();
  }

  async stop(): Promise<void> {
    await this.layer?.stop();
  }

  /** The termination gate: no while the node holds in-sync placements (see Rebalancer.mayTerminate). */
  mayTerminate(nodeId: string): TerminationVerdict {
    if (!this.layer) return { ok: false, reason: 'waiting for the data layer to start' };
    return this.layer.mayTerminate(nodeId);
  }
}
