import { InfrabaseError } from '../../engine/index.js';
import type { FeatureMoments, ModelMetrics, ModelSpecOptions, Standardization } from '../training/index.js';
import { decodeWeights, encodeWeights } from './checkpoint.js';
import type { TrainConfig } from './messages.js';

/**
 * The bodies of the agent's training endpoints (control plane → agent, bearer control token). Weights travel
 * as base64 of float64 little-endian (`encodeWeights`), so NaN and ±Infinity survive the trip and are
 * screened by the strategy instead of turning into JSON nulls. Nothing here carries a row.
 */

/** What every request names: the shard query and the columns to build X/y from. */
export interface ShardQuery {
  /** `training_sql`, run read-only on the node's shard. */
  sql: string;
  /**
   * When `training_sql` reads a distributed table: the placements this node reads (one in-sync copy of each
   * shard is assigned to exactly one node, so no row is counted twice). Absent: the node's own shard.
   */
  placements?: { colocationGroup: string; shard: number }[];
  label: string;
  features: string[];
  /** Time limit of the query on the node, ms (the agent's default when absent). */
  timeoutMs?: number;
}

/** `POST /v1/training/moments` reply: Σx, Σx², count of the training rows (never the rows). */
export interface MomentsReply extends FeatureMoments {
  /** Held-out rows on this shard (counted, not sent). */
  holdout: number;
}

/** `POST /v1/training/train` body. */
export interface TrainRequest extends ShardQuery {
  model: ModelSpecOptions;
  /** Global weights, base64 float64 LE. */
  weights: string;
  config: TrainConfig;
  standardization: Standardization;
  l2?: number;
}

/** `POST /v1/training/train` reply. */
export interface TrainReply {
  weights: string;
  examples: number;
  metrics: ModelMetrics;
}

/** `POST /v1/training/evaluate` body: the global weights, evaluated on the held-out rows (else all rows). */
export interface EvaluateRequest extends ShardQuery {
  model: ModelSpecOptions;
  weights: string;
  standardization: Standardization;
}

export interface EvaluateReply {
  examples: number;
  metrics: ModelMetrics;
}

/** Float64Array → base64 of float64 little-endian. */
export function weightsToWire(w: Float64Array): string {
  return Buffer.from(encodeWeights(w)).toString('base64');
}

/**
 * base64 float64 LE → Float64Array.
 * @throws InfrabaseError('INVALID_ARGUMENT') when it is not a string or not `expected` parameters long.
 */
export function weightsFromWire(s: unknown, expected?: number): Float64Array {
  if (typeof s !== 'string') {
    throw new InfrabaseError('INVALID_ARGUMENT', `weights must be a base64 string, got ${typeof s}`);
  }
  return decodeWeights(new Uint8Array(Buffer.from(s, 'base64')), expected);
}
