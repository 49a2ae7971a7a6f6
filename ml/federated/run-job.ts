import { type Clock, type Database, InfrabaseError, isInfrabaseError } from '../../engine/index.js';
import type { TrainingMetrics } from '../../metrics/index.js';
import {
  createStrategy,
  decodeFedAdamCheckpoint,
  decodeWeights,
  encodeFedAdamCheckpoint,
  encodeWeights,
  exportOnnx,
  type FedAdam,
  importModel,
  initialWeights,
  mergeMoments,
  modelSpec,
  parameterCount,
  type RoundRecord,
  runFederated,
  type ShardClient,
  type Standardization,
  standardizationFromMoments,
} from '../../ml/index.js';
import { type AgentClient, type DataNode, readyDataNodes } from './agent-client.js';
import { type JobPlan, planJob, type TrainingJobRow } from './job.js';
import type { EvaluateReply, MomentsReply, TrainReply } from './wire.js';
import { weightsFromWire, weightsToWire } from './wire.js';

export interface RunJobDeps {
  db: Database;
  agents: AgentClient;
  clock: Clock;
  metrics?: TrainingMetrics;
  /**
   * For `training_sql` over a distributed table: the placements each node reads (one in-sync copy per shard,
   * each assigned once), or undefined for the per-node tables of the older load.
   */
  placementsFor?: (sql: string) => Map<string, { colocationGroup: string; shard: number }[]> | undefined;
  /** How long to wait for `min_shards` ready data nodes before failing the job, ms (default: the round timeout). */
  nodeWaitMs?: number;
  onRound?: (jobId: number, record: RoundRecord) => void;
}

function httpShardClient(
  deps: RunJobDeps,
  node: DataNode,
  plan: JobPlan,
  standardization: Standardization,
  timeoutMs: number,
  signal: AbortSignal,
  parameters: number,
): ShardClient {
  const assigned = deps.placementsFor?.(plan.sql);
  const query = {
    sql: plan.sql,
    label: plan.label,
    features: plan.features,
    timeoutMs,
    ...(assigned ? { placements: assigned.get(node.id) ?? [] } : {}),
  };
  return {
    async train(ins) {
      const r = await deps.agents.post<TrainReply>(
        node,
        '/v1/training/train',
        {
          ...query,
          model: plan.model,
          weights: weightsToWire(ins.weights),
          config: ins.config,
          standardization,
          l2: plan.l2,
        },
        timeoutMs,
        signal,
      );
      return {
        shardId: node.id,
        weights: weightsFromWire(r.weights, parameters),
        examples: r.examples,
        metrics: r.metrics,
      };
    },
    async evaluate(ins) {
      const r = await deps.agents.post<EvaluateReply>(
        node,
        '/v1/training/evaluate',
        { ...query, model: plan.model, weights: weightsToWire(ins.weights), standardization },
        timeoutMs,
        signal,
      );
      return { shardId: node.id, examples: r.examples, metrics: r.metrics };
    },
  };
}

/** Waits (polling every 200 ms) until at least `min` ready data nodes exist, up to `waitMs`. */
/**
 * The ready data nodes (only those in `holding`, when given), once there are at least `min`; polls every
 * 200 ms for up to `waitMs`.
 * @throws InfrabaseError('UNAVAILABLE') when fewer than `min` are ready after `waitMs`.
 */
async function nodesAtLeast(
  deps: RunJobDeps,
  min: number,
  waitMs: number,
  signal: AbortSignal,
  holding?: ReadonlySet<string>,
) {
  const deadline = deps.clock.now() + waitMs;
  for (;;) {
    const nodes = readyDataNodes(deps.db).filter((n) => !holding || holding.has(n.id));
    if (nodes.length >= min) return nodes;
    if (deps.clock.now() >= deadline) {
      const which = holding ? 'ready data node(s) holding rows' : 'ready data node(s)';
      throw new InfrabaseError(
        'UNAVAILABLE',
        `${nodes.length} ${which} but min_shards is ${min} (waited ${waitMs} ms)`,
      );
    }
    await deps.clock.sleep(200, signal);
  }
}

/**
 * Asks every ready data node for the feature moments of its training rows (Σx, Σx², count — never rows):
 * the nodes that hold rows are the job's shards, and the merged moments give the federated standardisation.
 * Needs `min_shards` nodes with rows.
 * @throws InfrabaseError('UNAVAILABLE') naming how many answered with rows and why the others failed.
 */
async function shardMoments(
  deps: RunJobDeps,
  row: TrainingJobRow,
  plan: JobPlan,
  signal: AbortSignal,
): Promise<{ holding: Set<string>; moments: MomentsReply[] }> {
  const nodes = await nodesAtLeast(deps, row.min_shards, deps.nodeWaitMs ?? row.round_timeout_ms, signal);
  const query = {
    sql: plan.sql,
    label: plan.label,
    features: plan.features,
    timeoutMs: row.round_timeout_ms,
  };
  const assigned = deps.placementsFor?.(plan.sql);
  const settled = await Promise.allSettled(
    nodes.map((n) =>
      deps.agents.post<MomentsReply>(
        n,
        '/v1/training/moments',
        assigned ? { ...query, placements: assigned.get(n.id) ?? [] } : query,
        row.round_timeout_ms,
        signal,
      ),
    ),
  );
  const holding = new Set<string>();
  const moments: MomentsReply[] = [];
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled' && s.value.count > 0) {
      holding.add(nodes[i].id);
      moments.push(s.value);
    }
  });
  if (moments.length < row.min_shards) {
    const why = settled.flatMap((s) => (s.status === 'rejected' ? [(s.reason as Error).message] : []));
    throw new InfrabaseError(
      'UNAVAILABLE',
      `feature moments from ${moments.length} shard(s) with rows, min_shards is ${row.min_shards}${why.length ? `: ${why.join('; ')}` : ''}`,
    );
  }
  return { holding, moments };
}

/**
 * Runs (or resumes) one `sys_training_jobs` row to its end: `pending` → `running`; the moments of every ready
 * data node's training rows, which fix the job's shards (the nodes holding rows) and the federated
 * standardisation (stored on the job, so a resumed job reuses it); rounds from the last checkpointed round + 1,
 * each on the shards ready at that moment, recorded in `sys_training_rounds` with the global weights (FedAdam: weights
 * and server moments); then the ONNX export (standardisation baked in, feature names recorded) lands in
 * `sys_models` as the next version and the job is `succeeded` with `model_version`.
 *
 * Aborting `signal` leaves the job `running` for a later resume. Any other error marks it `failed` with the
 * reason in `status_reason`.
 */
export async function runTrainingJob(deps: RunJobDeps, jobId: number, signal: AbortSignal): Promise<void> {
  const { db, clock } = deps;
  const read = () =>
    db.prepare<[number], TrainingJobRow>('SELECT * FROM sys_training_jobs WHERE id = ?').get(jobId);
  let row = read();
  if (!row || (row.status !== 'pending' && row.status !== 'running')) return;
  try {
    const plan = planJob(row);
    const spec = modelSpec(plan.model);
    const parameters = parameterCount(spec);
    if (row.status === 'pending') {
      db.prepare(
        `UPDATE sys_training_jobs SET status = 'running', status_reason = NULL, started_at = ?, updated_at = ? WHERE id = ?`,
      ).run(clock.now(), clock.now(), jobId);
    }
    // The shards are the nodes holding rows of the training query when the job starts or resumes; nodes
    // without rows (e.g. a low-cardinality --shard-by) take no part in rounds and do not count for min_shards.
    const { holding, moments } = await shardMoments(deps, row, plan, signal);
    let standardization: Standardization;
    if (row.standardization) standardization = JSON.parse(row.standardization) as Standardization;
    else {
      standardization = standardizationFromMoments(mergeMoments(moments));
      db.prepare('UPDATE sys_training_jobs SET standardization = ?, updated_at = ? WHERE id = ?').run(
        JSON.stringify(standardization),
        clock.now(),
        jobId,
      );
    }
    const last = db
      .prepare<[number], { round: number; weights: Buffer | null }>(
        'SELECT round, weights FROM sys_training_rounds WHERE job_id = ? ORDER BY round DESC LIMIT 1',
      )
      .get(jobId);
    const fedAdam = plan.strategy === 'fedadam';
    let weights = initialWeights(spec, row.seed);
    let fedAdamState = null;
    if (last?.weights) {
      const bytes = new Uint8Array(last.weights);
      if (fedAdam) ({ weights, state: fedAdamState } = decodeFedAdamCheckpoint(bytes, parameters));
      else weights = decodeWeights(bytes, parameters);
    }
    const strategy = createStrategy(plan.strategy, {
      ...plan.strategyOptions,
      parameterCount: parameters,
      fedAdamState,
    });
    const insertRound = db.prepare(
      `INSERT INTO sys_training_rounds (job_id, round, participants, failures, examples, train_loss, train_accuracy,
         eval_loss, eval_accuracy, duration_ms, weights, created_at)
       VALUES (@job, @round, @participants, @failures, @examples, @trainLoss, @trainAccuracy, @evalLoss,
         @evalAccuracy, @duration, @weights, @now)`,
    );
    const advance = db.prepare('UPDATE sys_training_jobs SET current_round = ?, updated_at = ? WHERE id = ?');
    let lastRecord: RoundRecord | undefined;
    for (let round = (last?.round ?? 0) + 1; round <= row.rounds; round++) {
      if (signal.aborted) return;
      const nodes = await nodesAtLeast(
        deps,
        row.min_shards,
        deps.nodeWaitMs ?? row.round_timeout_ms,
        signal,
        holding,
      );
      const clients = new Map<string, ShardClient>(
        nodes.map((n) => [
          n.id,
          httpShardClient(deps, n, plan, standardization, row!.round_timeout_ms, signal, parameters),
        ]),
      );
      const { history } = await runFederated({
        strategy,
        clients,
        initialWeights: weights,
        rounds: 1,
        firstRound: round,
        clock,
      });
      if (signal.aborted) return;
      const rec = history[0];
      weights = rec.weights;
      const blob = fedAdam
        ? encodeFedAdamCheckpoint(
            weights,
            (strategy as FedAdam).serverState ?? {
              m: new Float64Array(parameters),
              v: new Float64Array(parameters),
            },
          )
        : encodeWeights(weights);
      const now = clock.now();
      db.transaction(() => {
        insertRound.run({
          job: jobId,
          round,
          participants: JSON.stringify(rec.participants),
          failures: JSON.stringify(rec.failures),
          examples: rec.examples,
          trainLoss: finite(rec.train.loss),
          trainAccuracy: finite(rec.train.accuracy),
          evalLoss: finite(rec.evaluation?.metrics.loss),
          evalAccuracy: finite(rec.evaluation?.metrics.accuracy),
          duration: Math.round(rec.durationMs),
          weights: Buffer.from(blob),
          now,
        });
        advance.run(round, now, jobId);
      })();
      recordMetrics(deps.metrics, plan.strategy, rec);
      deps.onRound?.(jobId, rec);
      lastRecord = rec;
    }
    row = read()!;
    const bytes = exportOnnx({
      model: spec,
      weights,
      featureNames: plan.features,
      standardization,
      metadata: { training_job: String(jobId) },
    });
    const metrics = lastRecord
      ? { train: lastRecord.train, evaluation: lastRecord.evaluation?.metrics ?? null, rounds: row.rounds }
      : { rounds: row.rounds };
    const model = importModel(db, {
      name: row.model_name,
      bytes,
      featureNames: plan.features,
      metrics,
      createdBy: `training:${jobId}`,
    });
    db.prepare(
      `UPDATE sys_training_jobs SET status = 'succeeded', status_reason = NULL, model_version = ?, finished_at = ?,
         updated_at = ? WHERE id = ?`,
    ).run(model.version, clock.now(), clock.now(), jobId);
  } catch (err) {
    if (signal.aborted) return;
    const reason = isInfrabaseError(err)
      ? `${err.code}: ${err.message}`
      : String((err as Error)?.message ?? err);
    db.prepare(
      `UPDATE sys_training_jobs SET status = 'failed', status_reason = ?, finished_at = ?, updated_at = ? WHERE id = ?`,
    ).run(reason.slice(0, 2000), clock.now(), clock.now(), jobId);
  }
}

function finite(v: number | null | undefined): number | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : v;
}

function recordMetrics(m: TrainingMetrics | undefined, strategy: string, rec: RoundRecord): void {
  if (!m) return;
  const timedOut = rec.failures.some((f) => /within \d+ ms/.test(f.reason));
  m.rounds.inc({ strategy, outcome: rec.reason ? (timedOut ? 'timeout' : 'failed') : 'ok' });
  m.duration.observe({ strategy }, rec.durationMs / 1000);
  m.shardUpdates.inc({ outcome: 'ok' }, rec.participants.length);
  if (rec.failures.length > 0) m.shardUpdates.inc({ outcome: 'failed' }, rec.failures.length);
  m.examples.inc(rec.examples);
}
