/**
 * Federated learning: strategies in Flower's shape (configureTrain / aggregateTrain and their evaluate
 * counterparts, failures passed in explicitly), the aggregation maths as pure functions, the one round loop
 * (`runFederated`), and the training coordinator that runs `sys_training_jobs` over the data nodes through a
 * transport passed in, with its job store (the only writer of `sys_training_jobs` / `sys_training_rounds`),
 * the wire format of the agents' training endpoints and the shard-side row building.
 */
export {
  decodeWeights,
  encodeCheckpoint,
  encodeWeights,
  restoreCheckpoint,
} from './checkpoint.js';
export { TrainingCoordinator, type TrainingCoordinatorDeps } from './coordinator.js';
export { FEDADAM_DEFAULTS, type FedAdamParams, type FedAdamState, fedAdamStep } from './fedadam.js';
export { type WeightedUpdate, weightedAverage } from './fedavg.js';
export { type JobPlan, planJob, type TrainingJobRow } from './job.js';
export { type RoundCheckpoint, TrainingJobStore } from './job-store.js';
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
export { type PlacementAssignment, type RunJobDeps, runTrainingJob } from './run-job.js';
export { roundSeed, sampleShards } from './sampling.js';
export { type LocalShardOptions, localShardClient, type ShardClient } from './shard-client.js';
export { buildShardRows, HOLDOUT_COLUMN, type ShardRows } from './shard-rows.js';
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
export type { TrainingTransport } from './transport.js';
export { screenUpdates } from './validate-update.js';
export {
  type EvaluateReply,
  type EvaluateRequest,
  type MomentsReply,
  type ShardQuery,
  type TrainReply,
  type TrainRequest,
  weightsFromWire,
  weightsToWire,
} from './wire.js';
