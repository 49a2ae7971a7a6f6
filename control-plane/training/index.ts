/**
 * Federated training across the data nodes: the coordinator service that runs `sys_training_jobs`, its
 * client for the agents' training endpoints, the wire format of those endpoints and the shard-side row
 * building the agent uses.
 */
export { AgentClient, type DataNode, type ReplyRecorder, readyDataNodes } from './agent-client.js';
export { type CoordinatorOptions, TrainingCoordinator } from './coordinator.js';
export { type JobPlan, planJob, type TrainingJobRow } from './job.js';
export { type RunJobDeps, runTrainingJob } from './run-job.js';
export { buildShardRows, HOLDOUT_COLUMN, type ShardRows } from './shard-rows.js';
export { parseTrainingFaults, TRAINING_FAULTS_ENV, type TrainingFault } from './test-faults.js';
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
