import { resolve } from 'node:path';
import { type Change, classifyRead, type ShardCoordinator } from '../../engine/index.js';
import { type TrainingMetrics, trainingMetrics } from '../../metrics/index.js';
import type { RoundRecord } from '../../ml/index.js';
import { NodeTokens } from '../nodes/index.js';
import type { ControlPlaneContext, Service } from '../service.js';
import { AgentClient, type ReplyRecorder } from './agent-client.js';
import { runTrainingJob } from './run-job.js';

export interface CoordinatorOptions {
  /** Called with every reply an agent sends during training (audit hook, e.g. for tests). */
  readonly recorder?: ReplyRecorder;
  /** Called after every recorded round. */
  readonly onRound?: (jobId: number, record: RoundRecord) => void;
  /** The data layer's shard reader: jobs over distributed tables read one in-sync copy of each shard. */
  readonly shards?: () => ShardCoordinator | undefined;
}

/**
 * The federated training coordinator: watches `sys_training_jobs` through the change feed (and re-scans on
 * start and on resync) and runs every `pending` or `running` job, one at a time in id order, with
 * {@link runTrainingJob}. `stop` aborts the job in flight; it stays `running` and resumes from its last
 * recorded round at the next start.
 */
export class TrainingCoordinator implements Service {
  readonly name = 'training-coordinator';
  private ctx?: ControlPlaneContext;
  private agents?: AgentClient;
  private metrics?: TrainingMetrics;
  private unsubscribe?: () => void;
  private readonly abort = new AbortController();
  private running?: Promise<void>;
  private again = false;

  constructor(private readonly options: CoordinatorOptions = {}) {}

  start(ctx: ControlPlaneContext): void {
    this.ctx = ctx;
    this.agents = new AgentClient(NodeTokens.fromDataDir(resolve(ctx.config.dataDir)), this.options.recorder);
    this.metrics = trainingMetrics(ctx.registry); // declared once per registry, shared by every caller
    this.unsubscribe = ctx.feed.subscribe({
      tables: ['sys_training_jobs'],
      onChanges: (changes: readonly Change[]) => {
        if (changes.some((c) => c.op !== 'delete')) this.kick();
      },
      onResync: () => this.kick(),
    });
    this.kick();
  }

  /** Runs pending/running jobs until none is left; coalesces concurrent kicks. */
  private kick(): void {
    if (this.abort.signal.aborted) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        const tries = new Map<number, number>();
        for (;;) {
          if (this.abort.signal.aborted) return;
          const next = this.ctx!.db.prepare<[], { id: number }>(
            `SELECT id FROM sys_training_jobs WHERE status IN ('running', 'pending')
               ORDER BY status = 'running' DESC, id LIMIT 1`,
          ).get();
          if (!next) break;
          const n = (tries.get(next.id) ?? 0) + 1;
          tries.set(next.id, n);
          if (n > 3) break; // the job's row could not be updated; the next change or resync retries
          await runTrainingJob(
            {
              placementsFor: (sql) => {
                const c = this.options.shards?.();
                const read = c && classifyRead([...c.tables().values()], sql);
                return c && read ? c.assignReads(read.colocationGroup) : undefined;
              },
              db: this.ctx!.db,
              agents: this.agents!,
              clock: this.ctx!.clock,
              metrics: this.metrics,
              onRound: this.options.onRound,
            },
            next.id,
            this.abort.signal,
          ).catch((err) => this.ctx!.logger.error({ err, job: next.id }, 'training job crashed'));
        }
      } while (this.again && !this.abort.signal.aborted);
    })().finally(() => {
      this.running = undefined;
    });
  }

  async stop(): Promise<void> {
    this.abort.abort(new Error('coordinator stopping'));
    this.unsubscribe?.();
    await this.running;
  }
}
