import type { Clock, Database } from '../../engine/index.js';
import type { Standardization } from '../training/index.js';
import type { TrainingJobRow } from './job.js';
import type { RoundRecord } from './simulation.js';

/** The last checkpointed round of a job. */
export interface RoundCheckpoint {
  round: number;
  /** `encodeCheckpoint` bytes (weights, then the strategy's state); null for rows written without one. */
  weights: Uint8Array | null;
}

function finite(v: number | null | undefined): number | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : v;
}

/**
 * The one writer of `sys_training_jobs` and `sys_training_rounds` from TypeScript (users insert jobs in SQL),
 * with the job's named transitions: `pending` → {@link markRunning} → {@link recordRound}… →
 * {@link succeed} or {@link fail}. Timestamps are ms since the epoch from the injected clock.
 */
export class TrainingJobStore {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /** The next job to run: a `running` one first (to resume it), then the oldest `pending`; undefined if none. */
  nextRunnable(): number | undefined {
    return this.db
      .prepare<[], { id: number }>(
        `SELECT id FROM sys_training_jobs WHERE status IN ('running', 'pending')
           ORDER BY status = 'running' DESC, id LIMIT 1`,
      )
      .get()?.id;
  }

  read(jobId: number): TrainingJobRow | undefined {
    return this.db
      .prepare<[number], TrainingJobRow>('SELECT * FROM sys_training_jobs WHERE id = ?')
      .get(jobId);
  }

  /** `pending` → `running`, with `started_at`. */
  markRunning(jobId: number): void {
    const now = this.clock.now();
    this.db
      .prepare(
        `UPDATE sys_training_jobs SET status = 'running', status_reason = NULL, started_at = ?, updated_at = ?
           WHERE id = ?`,
      )
      .run(now, now, jobId);
  }

  /** Stores the job's federated standardisation, so a resumed job reuses it. */
  saveStandardization(jobId: number, standardization: Standardization): void {
    this.db
      .prepare('UPDATE sys_training_jobs SET standardization = ?, updated_at = ? WHERE id = ?')
      .run(JSON.stringify(standardization), this.clock.now(), jobId);
  }

  /** The job's last recorded round, or undefined before the first. */
  lastCheckpoint(jobId: number): RoundCheckpoint | undefined {
    const row = this.db
      .prepare<[number], { round: number; weights: Buffer | null }>(
        'SELECT round, weights FROM sys_training_rounds WHERE job_id = ? ORDER BY round DESC LIMIT 1',
      )
      .get(jobId);
    return row && { round: row.round, weights: row.weights ? new Uint8Array(row.weights) : null };
  }

  /**
   * Records a completed round (participants, failures, examples, metrics — non-finite ones as NULL — duration,
   * and the checkpoint bytes) and advances `current_round`, in one transaction.
   */
  recordRound(jobId: number, record: RoundRecord, checkpoint: Uint8Array): void {
    const now = this.clock.now();
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO sys_training_rounds (job_id, round, participants, failures, examples, train_loss,
             train_accuracy, eval_loss, eval_accuracy, duration_ms, weights, created_at)
           VALUES (@job, @round, @participants, @failures, @examples, @trainLoss, @trainAccuracy, @evalLoss,
             @evalAccuracy, @duration, @weights, @now)`,
        )
        .run({
          job: jobId,
          round: record.round,
          participants: JSON.stringify(record.participants),
          failures: JSON.stringify(record.failures),
          examples: record.examples,
          trainLoss: finite(record.train.loss),
          trainAccuracy: finite(record.train.accuracy),
          evalLoss: finite(record.evaluation?.metrics.loss),
          evalAccuracy: finite(record.evaluation?.metrics.accuracy),
          duration: Math.round(record.durationMs),
          weights: Buffer.from(checkpoint),
          now,
        });
      this.db
        .prepare('UPDATE sys_training_jobs SET current_round = ?, updated_at = ? WHERE id = ?')
        .run(record.round, now, jobId);
    })();
  }

  /** `running` → `succeeded` with the `sys_models` version the job exported. */
  succeed(jobId: number, modelVersion: number): void {
    const now = this.clock.now();
    this.db
      .prepare(
        `UPDATE sys_training_jobs SET status = 'succeeded', status_reason = NULL, model_version = ?,
           finished_at = ?, updated_at = ? WHERE id = ?`,
      )
      .run(modelVersion, now, now, jobId);
  }

  /** → `failed` with `reason` (cut to 2000 characters) in `status_reason`. */
  fail(jobId: number, reason: string): void {
    const now = this.clock.now();
    this.db
      .prepare(
        `UPDATE sys_training_jobs SET status = 'failed', status_reason = ?, finished_at = ?, updated_at = ?
           WHERE id = ?`,
      )
      .run(reason.slice(0, 2000), now, now, jobId);
  }
}
