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
  /**
   * The server state beyond the global weights that a resumed run needs to continue exactly (FedAdam: its
   * moments m and v), as float64 vectors of `parameterCount` values each; empty for stateless strategies.
   * Checkpointed with the weights (`encodeCheckpoint`).
   */
  saveState(): Float64Array[];
  /**
   * Restores what {@link Strategy.saveState} returned (from `restoreCheckpoint`).
   * @throws InfrabaseError('INVALID_ARGUMENT') when the number or length of the vectors is not this strategy's.
   */
  restoreState(state: readonly Float64Array[]): void;
}
