import { type Clock, InfrabaseError, isInfrabaseError, systemClock } from '../../engine/index.js';
import type { ModelMetrics } from '../training/index.js';
import type { EvaluateAggregate, ShardFailure, TrainResult } from './messages.js';
import type { ShardClient } from './shard-client.js';
import type { Strategy } from './strategy.js';

/** One completed round, as `sys_training_rounds` records it. */
export interface RoundRecord {
  round: number;
  participants: string[];
  failures: ShardFailure[];
  examples: number;
  /** Example-weighted local training metrics of the participants. */
  train: ModelMetrics;
  /** Federated evaluation of the new global weights (when the clients can evaluate). */
  evaluation: EvaluateAggregate | null;
  /** Wall time of the round in ms, by the injected clock. */
  durationMs: number;
  /** Global weights after the round (unchanged when the round produced none). */
  weights: Float64Array;
  /** Why the weights did not change, when they did not. */
  reason?: string;
}

export interface RunFederatedOptions {
  strategy: Strategy;
  /**
   * The data nodes, by shard id; or a function that gives the ones available for a round (called at the start
   * of every round, so nodes may come and go between rounds).
   */
  clients: ReadonlyMap<string, ShardClient> | ((round: number) => Promise<ReadonlyMap<string, ShardClient>>);
  initialWeights: Float64Array;
  /** Rounds to run (≥ 1). */
  rounds: number;
  /** First round number (1 unless resuming from a checkpoint of round `firstRound − 1`). */
  firstRound?: number;
  /** Whether to run the evaluate step after every round (default true). */
  evaluate?: boolean;
  clock?: Clock;
  /** Called after each round (e.g. to checkpoint); may stop the run by returning false. */
  onRound?: (record: RoundRecord) => boolean | undefined | Promise<boolean | undefined>;
  /**
   * Stops the run: no round starts once it is aborted, and a round during which it was aborted is dropped
   * (neither in the history nor passed to `onRound`); the weights returned are those of the last kept round.
   */
  signal?: AbortSignal;
}

/** The failure of shard `shardId` that threw `err`: its message, and its code when it is an InfrabaseError. */
function failureOf(shardId: string, err: unknown): ShardFailure {
  const reason = err instanceof Error ? err.message : String(err);
  return isInfrabaseError(err) ? { shardId, reason, code: err.code } : { shardId, reason };
}

/**
 * The federated round loop: configureTrain → clients train concurrently → aggregateTrain with the failures
 * (thrown errors) passed in → optional evaluate round → `onRound`. The one loop for both uses: in-process
 * clients over rows in memory (tests, benchmarks), and the training coordinator's HTTP clients over the data
 * nodes (`runTrainingJob`, which checkpoints in `onRound`).
 * @throws InfrabaseError('UNAVAILABLE') when too few shards are available for a round (from the strategy), or
 *   what the `clients` function throws.
 */
export async function runFederated(
  options: RunFederatedOptions,
): Promise<{ weights: Float64Array; history: RoundRecord[] }> {
  const { strategy, rounds, signal } = options;
  const clock = options.clock ?? systemClock;
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new InfrabaseError('INVALID_ARGUMENT', `rounds must be an integer >= 1, got ${rounds}`);
  }
  let weights = options.initialWeights;
  const history: RoundRecord[] = [];
  const first = options.firstRound ?? 1;
  for (let round = first; round < first + rounds; round++) {
    if (signal?.aborted) break;
    const started = clock.now();
    const clients = typeof options.clients === 'function' ? await options.clients(round) : options.clients;
    const shards = [...clients.keys()];
    const instructions = strategy.configureTrain(round, weights, shards);
    const settled = await Promise.allSettled(instructions.map((i) => clients.get(i.shardId)!.train(i)));
    const results: TrainResult[] = [];
    const failures: ShardFailure[] = [];
    settled.forEach((s, k) => {
      if (s.status === 'fulfilled') results.push(s.value);
      else failures.push(failureOf(instructions[k].shardId, s.reason));
    });
    if (signal?.aborted) break;
    const aggregate = strategy.aggregateTrain(round, results, failures);
    const before = weights;
    if (aggregate.weights) weights = aggregate.weights;
    let evaluation: EvaluateAggregate | null = null;
    if (options.evaluate !== false) {
      const evalIns = strategy
        .configureEvaluate(round, weights, shards)
        .filter((i) => clients.get(i.shardId)?.evaluate !== undefined);
      if (evalIns.length > 0) {
        const evalSettled = await Promise.allSettled(
          evalIns.map((i) => clients.get(i.shardId)!.evaluate!(i)),
        );
        const evalResults = evalSettled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
        const evalFailures = evalSettled.flatMap((s, k) =>
          s.status === 'rejected' ? [failureOf(evalIns[k].shardId, s.reason)] : [],
        );
        evaluation = strategy.aggregateEvaluate(round, evalResults, evalFailures);
      }
    }
    const record: RoundRecord = {
      round,
      participants: aggregate.participants,
      failures: aggregate.failures,
      examples: aggregate.examples,
      train: aggregate.metrics,
      evaluation,
      durationMs: clock.now() - started,
      weights,
      ...(aggregate.reason ? { reason: aggregate.reason } : {}),
    };
    if (signal?.aborted) {
      weights = before;
      break;
    }
    history.push(record);
    if ((await options.onRound?.(record)) === false) break;
  }
  return { weights, history };
}
