import type { ShardCoordinator } from '../../engine/index.js';
import { type TrainingMetrics, trainingMetrics } from '../../metrics/index.js';
import { type RoundRecord, TrainingCoordinator, type TrainingTransport } from '../../ml/index.js';
import type { ControlPlaneContext, Service } from '../service.js';
import { AgentClient, type ReplyRecorder } from './agent-client.js';
import { agentTrainingTransport } from './http-transport.js';

export interface CoordinatorOptions {
  /** Called with every reply an agent sends during training (audit hook, e.g. for tests). */
  readonly recorder?: ReplyRecorder;
  /** The data layer's shard reader: jobs over distributed tables read one in-sync copy of each shard. */
  readonly shards?: () => ShardCoordinator | undefined;
  /** Wraps the HTTP transport to the agents (e.g. a test harness injecting faults). Default: none. */
  readonly transport?: (http: TrainingTransport) => TrainingTransport;
}

/**
 * The control plane's training service: runs ml's {@link TrainingCoordinator} with the HTTP transport to the
 * agents (each node's control credential from the context's node tokens), counts rounds in the training metrics and
 * logs a job that crashed.
 */
export class TrainingCoordinatorService implements Service {
  readonly name = 'training-coordinator';
  private coordinator?: TrainingCoordinator;

  constructor(private readonly options: CoordinatorOptions = {}) {}

  start(ctx: ControlPlaneContext): void {
    const agents = new AgentClient(ctx.nodeTokens, this.options.recorder);
    const http = agentTrainingTransport(ctx.db, agents);
    const metrics = trainingMetrics(ctx.registry); // declared once per registry, shared by every caller
    this.coordinator = new TrainingCoordinator({
      db: ctx.db,
      feed: ctx.feed,
      clock: ctx.clock,
      transport: this.options.transport?.(http) ?? http,
      shards: this.options.shards,
      onRound: (_jobId, record, strategy) => recordMetrics(metrics, strategy, record),
      onError: (err, job) => ctx.logger.error({ err, job }, 'training job crashed'),
    });
    this.coordinator.start();
  }

  async stop(): Promise<void> {
    await this.coordinator?.stop();
  }
}

function recordMetrics(m: TrainingMetrics, strategy: string, rec: RoundRecord): void {
  const timedOut = rec.failures.some((f) => f.code === 'TIMEOUT');
  m.rounds.inc({ strategy, outcome: rec.reason ? (timedOut ? 'timeout' : 'failed') : 'ok' });
  m.duration.observe({ strategy }, rec.durationMs / 1000);
  m.shardUpdates.inc({ outcome: 'ok' }, rec.participants.length);
  if (rec.failures.length > 0) m.shardUpdates.inc({ outcome: 'failed' }, rec.failures.length);
  m.examples.inc(rec.examples);
}
