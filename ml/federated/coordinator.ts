import {
  type Change,
  type ChangeFeed,
  type Clock,
  classifyRead,
  type Database,
  type ShardCoordinator,
} from '../../engine/index.js';
import { TrainingJobStore } from './job-store.js';
import { type RunJobDeps, runTrainingJob } from './run-job.js';
import type { RoundRecord } from './simulation.js';
import type { TrainingTransport } from './transport.js';

export interface TrainingCoordinatorDeps {
  db: Database;
  /** Wakes the coordinator when `sys_training_jobs` changes, and on resync. */
  feed: ChangeFeed;
  clock: Clock;
  /** The agents' training endpoints (the control plane's HTTP adapter). */
  transport: TrainingTransport;
  /** The data layer's shard reader: jobs over distributed tables read one in-sync copy of each shard. */
  shards?: () => ShardCoordinator | undefined;
  /** Called after every recorded round, with the job's strategy name. */
  onRound?: (jobId: number, record: RoundRecord, strategy: string) => void;
  /** Called when running a job threw past its own error handling (the job stays as it was). */
  onError?: (err: unknown, jobId: number) => void;
  /** See {@link RunJobDeps.nodeWaitMs}. */
  nodeWaitMs?: number;
}

/**
 * The federated training coordinator: watches `sys_training_jobs` through the change feed (and re-scans on
 * start and on resync) and runs every `pending` or `running` job, one at a time in id order, with
 * {@link runTrainingJob}. `stop` aborts the job in flight; it stays `running` and resumes from its last
 * recorded round at the next start.
 */
export class TrainingCoordinator {
  private readonly store: TrainingJobStore;
  private readonly run: RunJobDeps;
  private unsubscribe?: () => void;
  private readonly abort = new AbortController();
  private running?: Promise<void>;
  private again = false;

  constructor(private readonly deps: TrainingCoordinatorDeps) {
    this.store = new TrainingJobStore(deps.db, deps.clock);
    this.run = {
      db: deps.db,
      store: this.store,
      transport: deps.transport,
      clock: deps.clock,
      placementsFor: (sql) => {
        const c = deps.shards?.();
        const read = c && classifyRead([...c.tables().values()], sql);
        return c && read ? c.assignReads(read.colocationGroup) : undefined;
      },
      nodeWaitMs: deps.nodeWaitMs,
      onRound: deps.onRound,
    };
  }

  start(): void {
    this.unsubscribe = this.deps.feed.subscribe({
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
          const next = this.store.nextRunnable();
          if (next === undefined) break;
          const n = (tries.get(next) ?? 0) + 1;
          tries.set(next, n);
          if (n > 3) break; // the job's row could not be updated; the next change or resync retries
          await runTrainingJob(this.run, next, this.abort.signal).catch((err) =>
            this.deps.onError?.(err, next),
          );
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
