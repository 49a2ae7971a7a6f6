/**
 * Federated strategies in Flower's shape (configureTrain / aggregateTrain and their evaluate counterparts,
 * failures passed in explicitly), the aggregation maths as pure functions, and an in-process round loop.
 */
export {
  decodeFedAdamCheckpoint,
  decodeWeights,
  encodeFedAdamCheckpoint,
  encodeWeights,
} from './checkpoint.js';
export { FEDADAM_DEFAULTS, type FedAdamParams, type FedAdamState, fedAdamStep } from './fedadam.js';
export { type WeightedUpdate, weightedAverage } from './fedavg.js';
export type {
  EvaluateAggregate,
  EvaluateInstruction,
  EvaluateResult,
  ShardFailure,
  TrainAggregate,
  TrainConfig,
  TrainInstruction,
  TrainResult,
} from './messages.js';
export { coordinateMedian, trimmedMean } from './robust.js';
export { roundSeed, sampleShards } from './sampling.js';
export { type LocalShardOptions, localShardClient, type ShardClient } from './shard-client.js';
export { type RoundRecord, type RunFederatedOptions, runFederated } from './simulation.js';
export {
  createStrategy,
  FedAdam,
  FedAvg,
  FedProx,
  Median,
  STRATEGY_NAMES,
  type StrategyName,
  type StrategyOptions,
  TrimmedMean,
} from './strategies.js';
export type { Strategy } from './strategy.js';
export { screenUpdates } from './validate-update.js';
