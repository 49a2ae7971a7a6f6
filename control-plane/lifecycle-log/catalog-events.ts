import type { Database } from '../../engine/index.js';
import type { Logger } from '../logger.js';

/** How often the catalog is read for new events, ms. */
export const CATALOG_EVENTS_INTERVAL_MS = 1000;

interface ScalingEventRow {
  id: number;
  ts: number;
  policy: string;
  action: string;
  observed_value: number | null;
  nodes_before: number;
  nodes_after: number;
  node_ids: string;
  reason: string | null;
  metric: string | null;
}

interface MoveRow {
  id: number;
  colocation_group: string;
  shard: number;
  kind: string;
  source_node: string | null;
  target_node: string;
  state: string;
  reason: string | null;
  bytes: number | null;
  updated_at: number;
}

interface RoundRow {
  rowid: number;
  job_id: number;
  round: number;
  rounds: number;
  model_name: string;
  examples: number;
  train_loss: number | null;
  eval_accuracy: number | null;
  duration_ms: number | null;
  participants: string;
  failures: string;
}

interface JobRow {
  id: number;
  model_name: string;
  strategy: string;
  status: string;
  status_reason: string | null;
  current_round: number;
  rounds: number;
  model_version: number | null;
  updated_at: number;
}

/** Length of a JSON array column, 0 when it is not one. */
function count(json: string): number {
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? v.length : 0;
  } catch {
    return 0;
  }
}

function ids(json: string): string[] {
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}

/**
 * Turns what other writers record in the catalog into info log lines: scaling decisions (rows of
 * `sys_scaling_events`, written by the policies' SQL triggers), shard moves (state changes of
 * `sys_shard_moves`: planned, started, done, failed), training rounds (rows of `sys_training_rounds`) and
 * training jobs starting and ending (`sys_training_jobs.status`). Only what happens after construction is
 * logged; {@link poll} reads what changed since the last call (each table by an indexed or small scan).
 * Fields are ids, counts, states and reasons; never tokens, weights, SQL text or rows of user tables.
 */
export class CatalogEventLog {
  private scalingAfter: number;
  private roundsAfter: number;
  private movesSince: number;
  private jobsSince: number;
  private readonly moveStates = new Map<number, string>();
  private readonly jobStates = new Map<number, string>();

  constructor(
    private readonly db: Database,
    private readonly logger: Pick<Logger, 'info'>,
  ) {
    const max = (sql: string) => (db.prepare(sql).pluck().get() as number | null) ?? 0;
    this.scalingAfter = max('SELECT max(id) FROM sys_scaling_events');
    this.roundsAfter = max('SELECT max(rowid) FROM sys_training_rounds');
    this.movesSince = max('SELECT max(updated_at) FROM sys_shard_moves');
    this.jobsSince = max('SELECT max(updated_at) FROM sys_training_jobs');
    for (const r of db.prepare('SELECT id, state FROM sys_shard_moves').all() as MoveRow[])
      this.moveStates.set(r.id, r.state);
    for (const r of db.prepare('SELECT id, status FROM sys_training_jobs').all() as JobRow[])
      this.jobStates.set(r.id, r.status);
  }

  /** Logs every event recorded since the last call. */
  poll(): void {
    this.scalingDecisions();
    this.shardMoves();
    this.trainingRounds();
    this.trainingJobs();
  }

  private scalingDecisions(): void {
    const rows = this.db
      .prepare(
        `SELECT e.*, p.metric FROM sys_scaling_events e LEFT JOIN sys_scaling_policies p ON p.name = e.policy
         WHERE e.id > ? ORDER BY e.id`,
      )
      .all(this.scalingAfter) as ScalingEventRow[];
    for (const e of rows) {
      this.scalingAfter = e.id;
      const nodes = ids(e.node_ids);
      this.logger.info(
        {
          event: 'scaling.decision',
          policy: e.policy,
          action: e.action,
          metric: e.metric,
          value: e.observed_value,
          nodesBefore: e.nodes_before,
          nodesAfter: e.nodes_after,
          ...(e.action === 'scale_out' ? { nodesAdded: nodes } : {}),
          ...(e.action === 'scale_in' ? { nodesRetired: nodes } : {}),
          reason: e.reason,
        },
        `scaling policy ${e.policy} fired: ${e.action}`,
      );
    }
  }

  private shardMoves(): void {
    const rows = this.db
      .prepare(
        `SELECT id, colocation_group, shard, kind, source_node, target_node, state, reason, bytes, updated_at
         FROM sys_shard_moves WHERE updated_at >= ? ORDER BY updated_at, id`,
      )
      .all(this.movesSince) as MoveRow[];
    for (const m of rows) {
      this.movesSince = Math.max(this.movesSince, m.updated_at);
      const before = this.moveStates.get(m.id);
      if (before === m.state) continue;
      this.moveStates.set(m.id, m.state);
      const fields = {
        move: m.id,
        group: m.colocation_group,
        shard: m.shard,
        kind: m.kind,
        source: m.source_node,
        target: m.target_node,
      };
      if (m.state === 'planned') {
        this.logger.info({ event: 'shard.move_planned', ...fields, reason: m.reason }, 'shard move planned');
      } else if (m.state === 'done') {
        this.logger.info({ event: 'shard.move_done', ...fields, bytes: m.bytes }, 'shard move done');
      } else if (m.state === 'failed') {
        this.logger.info({ event: 'shard.move_failed', ...fields, reason: m.reason }, 'shard move failed');
      } else if (before === undefined || before === 'planned') {
        this.logger.info({ event: 'shard.move_started', ...fields, state: m.state }, 'shard move started');
      }
    }
  }

  private trainingRounds(): void {
    const rows = this.db
      .prepare(
        `SELECT r.rowid, r.job_id, r.round, j.rounds, j.model_name, r.examples, r.train_loss, r.eval_accuracy,
                r.duration_ms, r.participants, r.failures
         FROM sys_training_rounds r JOIN sys_training_jobs j ON j.id = r.job_id
         WHERE r.rowid > ? ORDER BY r.rowid`,
      )
      .all(this.roundsAfter) as RoundRow[];
    for (const r of rows) {
      this.roundsAfter = r.rowid;
      this.logger.info(
        {
          event: 'training.round',
          job: r.job_id,
          model: r.model_name,
          round: r.round,
          rounds: r.rounds,
          shards: count(r.participants),
          failedShards: count(r.failures),
          examples: r.examples,
          trainLoss: r.train_loss,
          evalAccuracy: r.eval_accuracy,
          durationMs: r.duration_ms,
        },
        `training round ${r.round} of ${r.rounds} done`,
      );
    }
  }

  private trainingJobs(): void {
    const rows = this.db
      .prepare(
        `SELECT id, model_name, strategy, status, status_reason, current_round, rounds, model_version, updated_at
         FROM sys_training_jobs WHERE updated_at >= ? ORDER BY updated_at, id`,
      )
      .all(this.jobsSince) as JobRow[];
    for (const j of rows) {
      this.jobsSince = Math.max(this.jobsSince, j.updated_at);
      if (this.jobStates.get(j.id) === j.status) continue;
      this.jobStates.set(j.id, j.status);
      const fields = { job: j.id, model: j.model_name, strategy: j.strategy };
      if (j.status === 'running') {
        this.logger.info(
          { event: 'training.job_started', ...fields, rounds: j.rounds },
          'training job started',
        );
      } else if (j.status !== 'pending') {
        this.logger.info(
          {
            event: 'training.job_end',
            ...fields,
            status: j.status,
            round: j.current_round,
            rounds: j.rounds,
            modelVersion: j.model_version,
            reason: j.status_reason,
          },
          `training job ${j.status}`,
        );
      }
    }
  }
}
