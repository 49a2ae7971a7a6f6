import { InfrabaseError } from '../../engine/index.js';
import type { ApiClient } from '../client/index.js';

/** One completed round of a training job, as recorded in `sys_training_rounds`. */
export interface RoundReport {
  round: number;
  participants: number;
  failures: number;
  trainLoss: number | null;
  trainAccuracy: number | null;
  evalAccuracy: number | null;
  durationMs: number;
}

/**
 * Polls a training job through the API until it ends, reporting each new round once.
 * @returns the model version the job produced.
 * @throws InfrabaseError `CONFLICT` when the job failed or was cancelled, with its recorded reason.
 */
export async function followJob(
  client: ApiClient,
  id: number,
  options: { pollMs?: number; onRound?: (r: RoundReport) => void } = {},
): Promise<number> {
  let shown = 0;
  for (;;) {
    // The status is read before the rounds: a job's last round is recorded before it ends, so once an ended
    // status is seen, the rounds read after it are all of them.
    const job = await client.sql(
      'SELECT status, status_reason, model_version FROM sys_training_jobs WHERE id = ?',
      [id],
    );
    const [status, reason, version] = job.rows[0] as [string, string | null, number | null];
    const r = await client.sql(
      `SELECT round, json_array_length(participants), json_array_length(failures), train_loss, train_accuracy,
              eval_accuracy, duration_ms
         FROM sys_training_rounds WHERE job_id = ? AND round > ? ORDER BY round`,
      [id, shown],
    );
    for (const row of r.rows) {
      const [round, participants, failures, trainLoss, trainAccuracy, evalAccuracy, durationMs] = row as [
        number,
        number,
        number,
        number | null,
        number | null,
        number | null,
        number,
      ];
      options.onRound?.({
        round,
        participants,
        failures,
        trainLoss,
        trainAccuracy,
        evalAccuracy,
        durationMs,
      });
      shown = round;
    }
    if (status === 'succeeded') return version!;
    if (status === 'failed' || status === 'cancelled') {
      throw new InfrabaseError('CONFLICT', `job ${id} ${status}: ${reason ?? 'no reason recorded'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 300));
  }
}

/** A round as one line: shards, failures, loss and accuracies, duration. */
export function formatRound(r: RoundReport): string {
  const pct = (v: number | null) => (v === null ? '-' : `${(100 * v).toFixed(2)}%`);
  return `round ${r.round}: ${r.participants} shard(s), ${r.failures} failure(s), loss ${r.trainLoss?.toFixed(4) ?? '-'} acc ${pct(r.trainAccuracy)} eval ${pct(r.evalAccuracy)}, ${r.durationMs} ms`;
}
