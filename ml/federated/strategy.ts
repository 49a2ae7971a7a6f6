import type {
  EvaluateAggregate,
  EvaluateInstruction,
  EvaluateResult,
  ShardFailure,
  TrainAggregate,
  TrainInstruction,
  TrainResult,
} from './messages.js';

/**
 * A federated strategy in Flower's shape: each round the coordinator asks it which shards train with what
 * (`configureTrain`), sends those instructions, collects results and failures, and hands both back
 * (`aggregateTrain`); evaluation works the same way. Failures are an explicit argument, never hidden.
 *
 * Implementations: FedAvg, FedProx, FedAdam, trimmed mean, median (see `createStrategy`).
 */
export interface Strategy {
  /** The `sys_training_jobs.strategy` value. */
  readonly name: string;
  /**
   * Samples the shards for `round` (1-based) and builds their instructions.
   * @throws InfrabaseError('UNAVAILABLE') when fewer than `minShards` shards are available.
   */
  configureTrain(
    round: number,
    globalWeights: Float64Array,
    availableShards: readonly string[],
  ): TrainInstruction[];
  /** Aggregates this round's results into new global weights; see {@link TrainAggregate}. */
  aggregateTrain(
    round: number,
    results: readonly TrainResult[],
    failures: readonly ShardFailure[],
  ): TrainAggregate;
  /** The shards that evaluate the global weights this round (all available ones). */
  configureEvaluate(
    round: number,
    globalWeights: Float64Array,
    availableShards: readonly string[],
  ): EvaluateInstruction[];
  aggregateEvaluate(
    round: number,
    results: readonly EvaluateResult[],
    failures: readonly ShardFailure[],
  ): EvaluateAggregate;
}
