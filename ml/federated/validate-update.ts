import type { ShardFailure, TrainResult } from './messages.js';

/**
 * Splits results into usable updates and rejected ones: an update is rejected when its weight vector has the
 * wrong length, contains NaN or ±Infinity, or its example count is not a positive integer. Pure.
 */
export function screenUpdates(
  results: readonly TrainResult[],
  parameterCount: number,
): { accepted: TrainResult[]; rejected: ShardFailure[] } {
  const accepted: TrainResult[] = [];
  const rejected: ShardFailure[] = [];
  for (const r of results) {
    if (r.weights.length !== parameterCount) {
      rejected.push({
        shardId: r.shardId,
        reason: `update has ${r.weights.length} parameters, expected ${parameterCount}`,
      });
      continue;
    }
    if (!Number.isInteger(r.examples) || r.examples < 1) {
      rejected.push({ shardId: r.shardId, reason: `example count ${r.examples} is not a positive integer` });
      continue;
    }
    const bad = r.weights.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      rejected.push({
        shardId: r.shardId,
        reason: `update parameter ${bad} is ${r.weights[bad]} (not finite)`,
      });
      continue;
    }
    accepted.push(r);
  }
  return { accepted, rejected };
}
