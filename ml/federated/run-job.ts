import type { Clock, Database } from '../../engine/index.js';
import { InfrabaseError, isInfrabaseError } from '../../engine/index.js';
import { exportOnnx } from '../export/index.js';
import { importModel } from '../registry/index.js';
import {
  initialWeights,
  mergeMoments,
  modelSpec,
  parameterCount,
  type Standardization,
  standardizationFromMoments,
} from '../training/index.js';
import { encodeCheckpoint, restoreCheckpoint } from './checkpoint.js';
import { type JobPlan, planJob, type TrainingJobRow } from './job.js';
import type { TrainingJobStore } from './job-store.js';
import type { ShardClient } from './shard-client.js';
import { type RoundRecord, runFederated } from './simulation.js';
import { createStrategy } from './strategies.js';
import type { TrainingTransport } from './transport.js';
import { type MomentsReply, type ShardQuery, weightsFromWire, weightsToWire } from './wire.js';

/** The placements of distributed tables each node reads, by node id (see {@link RunJobDeps.placementsFor}). */
export type PlacementAssignment = Map<string, { colocationGroup: string; shard: number }[]>;

export interface RunJobDeps {
  /** The catalog; the job's model lands in its `sys_models`. */
  db: Database;
  /** The only writer of the job tables. */
  store: TrainingJobStore;
  /** The agents' training endpoints (the control plane's HTTP adapter). */
  transport: TrainingTransport;
  clock: Clock;
  /**
   * For `training_sql` over a distributed table: the placements each node reads (one in-sync copy per shard,
   * each assigned once), or undefined for the per-node tables of the older load.
   */
  placementsFor?: (sql: string) => PlacementAssignment | undefined;
  /** How long to wait for `min_shards` ready data nodes before failing the job, ms (default: the round timeout). */
  nodeWaitMs?: number;
  /** Called after every recorded round, with the job's strategy name. */
  onRound?: (jobId: number, record: RoundRecord, strategy: string) => void;
}

/** The job's shard query for one node: its placements when `training_sql` reads a distributed table. */
function shardQuery(
  plan: JobPlan,
  timeoutMs: number,
  assigned: PlacementAssignment | undefined,
  nodeId: string,
): ShardQuery {
  return {
    sql: plan.sql,
    label: plan.label,
    features: plan.features,
    timeoutMs,
    ...(assigned ? { placements: assigned.get(nodeId) ?? [] } : {}),
  };
}

/** A {@link ShardClient} that trains and evaluates on one data node through the transport. */
function remoteShardClient(
  deps: RunJobDeps,
  nodeId: string,
  plan: JobPlan,
  standardization: Standardization,
  timeoutMs: number,
  signal: AbortSignal,
  parameters: number,
): ShardClient {
  const query = shardQuery(plan, timeoutMs, deps.placementsFor?.(plan.sql), nodeId);
  return {
    async train(ins) {
      const r = await deps.transport.train(
        nodeId,
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
        shardId: nodeId,
        weights: weightsFromWire(r.weights, parameters),
        examples: r.examples,
        metrics: r.metrics,
      };
    },
    async evaluate(ins) {
      const r = await deps.transport.evaluate(
        nodeId,
        { ...query, model: plan.model, weights: weightsToWire(ins.weights), standardization },
        timeoutMs,
        signal,
      );
      return { shardId: nodeId, examples: r.examples, metrics: r.metrics };
    },
  };
}

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
): Promise<string[]> {
  const deadline = deps.clock.now() + waitMs;
  for (;;) {
    const nodes = deps.transport.readyNodes().filter((id) => !holding || holding.has(id));
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
  const assigned = deps.placementsFor?.(plan.sql);
  const settled = await Promise.allSettled(
    nodes.map((id) =>
      deps.transport.moments(
        id,
        shardQuery(plan, row.round_timeout_ms, assigned, id),
        row.round_timeout_ms,
        signal,
      ),
    ),
  );
  const holding = new Set<string>();
  const moments: MomentsReply[] = [];
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled' && s.value.count > 0) {
      holding.add(nodes[i]);
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
 * standardisation (stored on the job, so a resumed job reuses it); rounds from the last checkpointed round + 1
 * in {@link runFederated}, each on the shards ready at that moment, recorded in `sys_training_rounds` with the
 * checkpoint (global weights and the strategy's saved state); then the ONNX export (standardisation baked in,
 * feature names recorded) lands in `sys_models` as the next version and the job is `succeeded` with
 * `model_version`.
 *
 * Aborting `signal` leaves the job `running` for a later resume. Any other error marks it `failed` with the
 * reason in `status_reason`.
 */
export async function runTrainingJob(deps: RunJobDeps, jobId: number, signal: AbortSignal): Promise<void> {
  const { store } = deps;
  let row = store.read(jobId);
  if (!row || (row.status !== 'pending' && row.status !== 'running')) return;
  try {
    const plan = planJob(row);
    const spec = modelSpec(plan.model);
    const parameters = parameterCount(spec);
    if (row.status === 'pending') store.markRunning(jobId);
    // The shards are the nodes holding rows of the training query when the job starts or resumes; nodes
    // without rows (e.g. a low-cardinality --shard-by) take no part in rounds and do not count for min_shards.
    const { holding, moments } = await shardMoments(deps, row, plan, signal);
    let standardization: Standardization;
    if (row.standardization) standardization = JSON.parse(row.standardization) as Standardization;
    else {
      standardization = standardizationFromMoments(mergeMoments(moments));
      store.saveStandardization(jobId, standardization);
    }
    const strategy = createStrategy(plan.strategy, { ...plan.strategyOptions, parameterCount: parameters });
    const last = store.lastCheckpoint(jobId);
    const weights = last?.weights
      ? restoreCheckpoint(last.weights, parameters, strategy)
      : initialWeights(spec, row.seed);
    const timeoutMs = row.round_timeout_ms;
    const firstRound = (last?.round ?? 0) + 1;
    let lastRecord: RoundRecord | undefined;
    let finalWeights = weights;
    if (firstRound <= row.rounds) {
      const run = await runFederated({
        strategy,
        initialWeights: weights,
        firstRound,
        rounds: row.rounds - firstRound + 1,
        clock: deps.clock,
        signal,
        clients: async () => {
          const nodes = await nodesAtLeast(
            deps,
            row!.min_shards,
            deps.nodeWaitMs ?? timeoutMs,
            signal,
            holding,
          );
          return new Map(
            nodes.map((id) => [
              id,
              remoteShardClient(deps, id, plan, standardization, timeoutMs, signal, parameters),
            ]),
          );
        },
        onRound: (record) => {
          store.recordRound(jobId, record, encodeCheckpoint(record.weights, strategy));
          deps.onRound?.(jobId, record, plan.strategy);
          lastRecord = record;
          return undefined;
        },
      });
      if (signal.aborted) return;
      finalWeights = run.weights;
    }
    row = store.read(jobId)!;
    const bytes = exportOnnx({
      model: spec,
      weights: finalWeights,
      featureNames: plan.features,
      standardization,
      metadata: { training_job: String(jobId) },
    });
    const metrics = lastRecord
      ? { train: lastRecord.train, evaluation: lastRecord.evaluation?.metrics ?? null, rounds: row.rounds }
      : { rounds: row.rounds };
    const model = importModel(deps.db, {
      name: row.model_name,
      bytes,
      featureNames: plan.features,
      metrics,
      createdBy: `training:${jobId}`,
    });
    store.succeed(jobId, model.version);
  } catch (err) {
    if (signal.aborted) return;
    const reason = isInfrabaseError(err)
      ? `${err.code}: ${err.message}`
      : String((err as Error)?.message ?? err);
    store.fail(jobId, reason);
  }
}
