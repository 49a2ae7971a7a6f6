import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { InfrabaseError, type PlacementFiles } from '../engine/index.js';
import {
  buildShardRows,
  type EvaluateReply,
  type EvaluateRequest,
  evaluateModel,
  featureMoments,
  type MomentsReply,
  modelSpec,
  parameterCount,
  type ShardQuery,
  type ShardRows,
  standardizeRows,
  type TrainReply,
  type TrainRequest,
  trainLocal,
  weightsFromWire,
  weightsToWire,
} from '../ml/index.js';
import { AGENT_BODY_LIMIT, checkControlToken, type UserSqlRouteOptions } from './shard-routes.js';

export interface TrainingRouteOptions extends UserSqlRouteOptions {
  /** The node's placements of distributed tables, read when a request names `placements`. */
  readonly placements?: PlacementFiles;
}

function shardQuery(body: unknown): ShardQuery {
  const b = body as Partial<ShardQuery> | undefined;
  if (
    !b ||
    typeof b.sql !== 'string' ||
    typeof b.label !== 'string' ||
    !Array.isArray(b.features) ||
    b.features.length === 0 ||
    b.features.some((f) => typeof f !== 'string') ||
    (b.timeoutMs !== undefined && typeof b.timeoutMs !== 'number')
  ) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      'body needs sql (string), label (column name), features (non-empty array of column names) and optionally timeoutMs (ms)',
    );
  }
  return b as ShardQuery;
}

/**
 * The node agent's training API, for the control plane only (bearer control token). Each call runs the job's
 * `training_sql` read-only on the shard through `userSql`, under the request's `timeoutMs` (cached per query
 * until the shard changes), and answers with
 * aggregates only:
 * - `POST /v1/training/moments` → {@link MomentsReply} (Σx, Σx², count of the training rows);
 * - `POST /v1/training/train` {@link TrainRequest} → {@link TrainReply}: `trainLocal` (seeded by the round
 *   config) from the global weights on the standardised training rows;
 * - `POST /v1/training/evaluate` {@link EvaluateRequest} → {@link EvaluateReply}: metrics of the global
 *   weights on the held-out rows (`_holdout` column), or on the training rows when there are none.
 */
export function trainingRoutes(options: TrainingRouteOptions): FastifyPluginAsync {
  const { shard } = options;
  const cache = new Map<string, ShardRows>();
  const changes = shard.prepare('SELECT total_changes()').pluck();

  async function rowsFor(q: ShardQuery): Promise<ShardRows> {
    if (Array.isArray(q.placements)) return placementRows(q);
    const key = JSON.stringify([changes.get(), q.sql, q.label, q.features]);
    let rows = cache.get(key);
    if (!rows) {
      const result = await options.userSql.execute({ sql: q.sql, readOnly: true, timeoutMs: q.timeoutMs });
      rows = buildShardRows(result, q.label, q.features);
      cache.clear();
      cache.set(key, rows);
    }
    return rows;
  }

  /**
   * `training_sql` over the named placements of distributed tables (each shard assigned to one node only),
   * their rows concatenated; cached until one of them changes (its lsn).
   */
  function placementRows(q: ShardQuery): ShardRows {
    const files = options.placements;
    if (!files)
      throw new InfrabaseError('INVALID_ARGUMENT', 'this agent holds no placements of distributed tables');
    const at = q.placements!.map((p) => files.get(p.colocationGroup, p.shard).position());
    const key = JSON.stringify([at, q.sql, q.label, q.features]);
    let rows = cache.get(key);
    if (!rows) {
      const result: { columns: string[]; rows: unknown[][] } = { columns: [], rows: [] };
      for (const p of q.placements!) {
        const r = files.query(p.colocationGroup, p.shard, q.sql, []);
        result.columns = r.columns;
        result.rows.push(...r.rows);
      }
      if (result.columns.length === 0) result.columns = [q.label, ...q.features];
      rows = buildShardRows(result, q.label, q.features);
      cache.clear();
      cache.set(key, rows);
    }
    return rows;
  }

  /** A train or evaluate call's body, its shard rows, model and decoded global weights. */
  async function withGlobalWeights<T extends TrainRequest | EvaluateRequest>(req: FastifyRequest) {
    checkControlToken(req, options.controlToken);
    const body = req.body as T;
    const rows = await rowsFor(shardQuery(body));
    const model = modelSpec(body.model);
    return { body, rows, model, weights: weightsFromWire(body.weights, parameterCount(model)) };
  }

  return async (app) => {
    const opts = { bodyLimit: AGENT_BODY_LIMIT };
    app.post('/v1/training/moments', opts, async (req) => {
      checkControlToken(req, options.controlToken);
      const rows = await rowsFor(shardQuery(req.body));
      const out: MomentsReply = { ...featureMoments(rows.train), holdout: rows.holdout.n };
      return out;
    });
    app.post('/v1/training/train', opts, async (req) => {
      const { body, rows, model, weights: global } = await withGlobalWeights<TrainRequest>(req);
      const r = trainLocal({
        model,
        weights: global,
        rows: standardizeRows(rows.train, body.standardization),
        epochs: body.config.epochs,
        batchSize: body.config.batchSize,
        learningRate: body.config.learningRate,
        optimizer: body.config.optimizer,
        mu: body.config.mu,
        l2: body.l2,
        seed: body.config.seed,
      });
      const out: TrainReply = { weights: weightsToWire(r.weights), examples: r.examples, metrics: r.metrics };
      return out;
    });
    app.post('/v1/training/evaluate', opts, async (req) => {
      const { body, rows, model, weights } = await withGlobalWeights<EvaluateRequest>(req);
      const target = standardizeRows(rows.holdout.n > 0 ? rows.holdout : rows.train, body.standardization);
      const out: EvaluateReply = { examples: target.n, metrics: evaluateModel(model, weights, target) };
      return out;
    });
  };
}
