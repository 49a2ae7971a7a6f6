import type { ErrorCode } from '../../engine/index.js';
import type { ModelMetrics, OptimizerName } from '../training/index.js';

/**
 * The messages of a federated round, in Flower's vocabulary (FitIns/FitRes, EvaluateIns/EvaluateRes). These are
 * everything that crosses the network: weights, counts, metrics and hyper-parameters — never rows.
 */

/** Hyper-parameters a shard trains with this round (sent with the weights). */
export interface TrainConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: OptimizerName;
  /** FedProx μ (0 for the other strategies). */
  mu: number;
  /** Seed of the shard's shuffles this round, derived from the job seed, the round and the shard. */
  seed: number;
}

/** Sent to one sampled shard: the global weights (flat Float64Array) and how to train. */
export interface TrainInstruction {
  shardId: string;
  weights: Float64Array;
  config: TrainConfig;
}

/** A shard's answer: its updated weights, the rows it trained on and its local metrics. */
export interface TrainResult {
  shardId: string;
  weights: Float64Array;
  examples: number;
  metrics: ModelMetrics;
}

/** A shard that did not produce a usable result: it failed, timed out, or its update was rejected. */
export interface ShardFailure {
  shardId: string;
  reason: string;
  /** The error's code when the failure was an InfrabaseError (e.g. `TIMEOUT` for an agent that did not answer). */
  code?: ErrorCode;
}

export interface EvaluateInstruction {
  shardId: string;
  weights: Float64Array;
}

/** Metrics of the global weights on a shard's held-out rows. */
export interface EvaluateResult {
  shardId: string;
  examples: number;
  metrics: ModelMetrics;
}

/** What `aggregateTrain` decided. */
export interface TrainAggregate {
  /** The new global weights, or null when the round produced none (too few usable results, or failures not accepted). */
  weights: Float64Array | null;
  /** Shards whose updates went into the aggregate. */
  participants: string[];
  /** The failures passed in plus the results rejected here (non-finite or malformed updates). */
  failures: ShardFailure[];
  /** Σ examples of the participants. */
  examples: number;
  /** Example-weighted mean of the participants' local metrics. */
  metrics: ModelMetrics;
  /** Why `weights` is null. */
  reason?: string;
}

/** What `aggregateEvaluate` decided: example-weighted mean metrics over the shards that answered. */
export interface EvaluateAggregate {
  examples: number;
  metrics: ModelMetrics;
  participants: string[];
  failures: ShardFailure[];
}
