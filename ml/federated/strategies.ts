import { InfrabaseError, type Random, seededRandom } from '../../engine/index.js';
import type { ModelMetrics } from '../training/index.js';
import { FEDADAM_DEFAULTS, type FedAdamParams, type FedAdamState, fedAdamStep } from './fedadam.js';
import { weightedAverage } from './fedavg.js';
import type {
  EvaluateAggregate,
  EvaluateInstruction,
  EvaluateResult,
  ShardFailure,
  TrainAggregate,
  TrainConfig,
  TrainInstruction,
  TrainResult,
} from './messages.js';
import { coordinateMedian, trimmedMean } from './robust.js';
import { roundSeed, sampleShards } from './sampling.js';
import type { Strategy } from './strategy.js';
import { screenUpdates } from './validate-update.js';

/** The `sys_training_jobs.strategy` values. */
export const STRATEGY_NAMES = ['fedavg', 'fedprox', 'fedadam', 'trimmed_mean', 'median'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export interface StrategyOptions {
  /** Length of the flat weight vector; updates of another length are rejected. */
  parameterCount: number;
  /** Local hyper-parameters sent to every shard. */
  train: Pick<TrainConfig, 'epochs' | 'batchSize' | 'learningRate' | 'optimizer'>;
  /** Fraction of available shards sampled per round, (0, 1] (default 1). */
  fraction?: number;
  /** Fewest shards a round may start with and aggregate over (default 1). */
  minShards?: number;
  /** When false, a round with any failure keeps the previous global weights (default true). */
  acceptFailures?: boolean;
  /** Job seed: drives sampling and each shard's shuffle seed (default 42). */
  seed?: number;
  /**
   * Random source for sampling. By default each round samples with seededRandom(roundSeed(seed, round)), so a
   * coordinator resumed at round r samples exactly as an uninterrupted one would.
   */
  random?: Random;
  /** FedProx μ ≥ 0 (default 0.01); sent to clients. Only for `fedprox`. */
  mu?: number;
  /** Server Adam settings. Only for `fedadam`. */
  fedAdam?: Partial<FedAdamParams>;
  /**
   * Trimmed mean β in [0, 0.5) (default 0.25). ⌊β·k⌋ values are cut from each end, so with k shards β must be
   * ≥ 1/k to trim anything (Flower's default 0.2 trims nothing on 4 shards). Only for `trimmed_mean`.
   */
  trimFraction?: number;
}

function weightedMetrics(items: readonly { examples: number; metrics: ModelMetrics }[]): ModelMetrics {
  const total = items.reduce((s, i) => s + i.examples, 0);
  if (total === 0) return { loss: Number.NaN, accuracy: null };
  let loss = 0;
  let accuracy: number | null = 0;
  for (const i of items) {
    if (i.examples === 0) continue; // a shard with no rows reports NaN metrics; it carries no weight
    loss += (i.examples / total) * i.metrics.loss;
    accuracy =
      accuracy === null || i.metrics.accuracy === null
        ? null
        : accuracy + (i.examples / total) * i.metrics.accuracy;
  }
  return { loss, accuracy };
}

/**
 * The shared machinery: sampling with `fraction`/`minShards`, screening of updates (NaN/Inf, wrong length →
 * failures), `acceptFailures`, metric averaging. Subclasses supply only the aggregation maths.
 */
abstract class BaseStrategy implements Strategy {
  abstract readonly name: StrategyName;
  protected readonly fraction: number;
  protected readonly minShards: number;
  protected readonly acceptFailures: boolean;
  protected readonly seed: number;
  protected readonly random: Random | undefined;
  /** The global weights sent in the last configureTrain, by round. */
  protected readonly sent = new Map<number, Float64Array>();

  constructor(protected readonly options: StrategyOptions) {
    this.fraction = options.fraction ?? 1;
    this.minShards = options.minShards ?? 1;
    this.acceptFailures = options.acceptFailures ?? true;
    this.seed = options.seed ?? 42;
    this.random = options.random;
    if (!Number.isInteger(options.parameterCount) || options.parameterCount < 1) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `parameterCount must be >= 1, got ${options.parameterCount}`,
      );
    }
  }

  protected mu(): number {
    return 0;
  }

  configureTrain(
    round: number,
    globalWeights: Float64Array,
    availableShards: readonly string[],
  ): TrainInstruction[] {
    if (globalWeights.length !== this.options.parameterCount) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `global weights have ${globalWeights.length} parameters, expected ${this.options.parameterCount}`,
      );
    }
    const random = this.random ?? seededRandom(roundSeed(this.seed, round, ''));
    const shards = sampleShards(availableShards, this.fraction, this.minShards, random);
    this.sent.clear();
    this.sent.set(round, Float64Array.from(globalWeights));
    return shards.map((shardId) => ({
      shardId,
      weights: globalWeights,
      config: { ...this.options.train, mu: this.mu(), seed: roundSeed(this.seed, round, shardId) },
    }));
  }

  aggregateTrain(
    round: number,
    results: readonly TrainResult[],
    failures: readonly ShardFailure[],
  ): TrainAggregate {
    const { accepted, rejected } = screenUpdates(results, this.options.parameterCount);
    const allFailures = [...failures, ...rejected];
    const participants = accepted.map((r) => r.shardId);
    const examples = accepted.reduce((s, r) => s + r.examples, 0);
    const metrics = weightedMetrics(accepted);
    const none = (reason: string): TrainAggregate => ({
      weights: null,
      participants,
      failures: allFailures,
      examples,
      metrics,
      reason,
    });
    if (allFailures.length > 0 && !this.acceptFailures) {
      return none(`${allFailures.length} shard(s) failed and accept_failures is off`);
    }
    if (accepted.length < this.minShards || accepted.length === 0) {
      return none(`${accepted.length} usable update(s), min_shards is ${this.minShards}`);
    }
    const weights = this.aggregate(round, accepted);
    return { weights, participants, failures: allFailures, examples, metrics };
  }

  protected abstract aggregate(round: number, accepted: readonly TrainResult[]): Float64Array;

  saveState(): Float64Array[] {
    return [];
  }

  restoreState(state: readonly Float64Array[]): void {
    this.checkState(state, 0);
  }

  /** @throws InfrabaseError('INVALID_ARGUMENT') unless `state` is `count` vectors of parameterCount values. */
  protected checkState(state: readonly Float64Array[], count: number): void {
    const p = this.options.parameterCount;
    if (state.length !== count || state.some((v) => v.length !== p)) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `${this.name} checkpoint state has ${state.length} vector(s) of lengths [${state.map((v) => v.length).join(', ')}]; expected ${count} of ${p}`,
      );
    }
  }

  configureEvaluate(
    _round: number,
    globalWeights: Float64Array,
    availableShards: readonly string[],
  ): EvaluateInstruction[] {
    return availableShards.map((shardId) => ({ shardId, weights: globalWeights }));
  }

  aggregateEvaluate(
    _round: number,
    results: readonly EvaluateResult[],
    failures: readonly ShardFailure[],
  ): EvaluateAggregate {
    return {
      examples: results.reduce((s, r) => s + r.examples, 0),
      metrics: weightedMetrics(results),
      participants: results.map((r) => r.shardId),
      failures: [...failures],
    };
  }
}

/** FedAvg (McMahan et al. 2017, arXiv:1602.05629): the example-weighted mean of the client weights. */
export class FedAvg extends BaseStrategy {
  readonly name: StrategyName = 'fedavg';
  protected aggregate(_round: number, accepted: readonly TrainResult[]): Float64Array {
    return weightedAverage(accepted);
  }
}

/**
 * FedProx (Li et al. 2020, arXiv:1812.06127): clients add μ/2·‖w − w_global‖² to their objective (μ is sent in
 * the train config); the server aggregates as FedAvg.
 */
export class FedProx extends FedAvg {
  override readonly name: StrategyName = 'fedprox';
  constructor(options: StrategyOptions) {
    super(options);
    const mu = options.mu ?? 0.01;
    if (!(mu >= 0) || !Number.isFinite(mu)) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `FedProx mu must be a finite number >= 0, got ${options.mu}`,
      );
    }
  }
  protected override mu(): number {
    return this.options.mu ?? 0.01;
  }
}

/**
 * FedAdam (Reddi et al. 2021, arXiv:2003.00295): the FedAvg aggregate minus the current global weights is a
 * pseudo-gradient fed to a server-side Adam step. Its moments are {@link FedAdam.serverState}.
 */
export class FedAdam extends BaseStrategy {
  readonly name: StrategyName = 'fedadam';
  private state: FedAdamState | null = null; // set by restoreState when resuming from a checkpoint
  private readonly params: FedAdamParams;
  constructor(options: StrategyOptions) {
    super(options);
    this.params = { ...FEDADAM_DEFAULTS, ...options.fedAdam };
  }
  /** Server Adam moments after the last aggregated round (null before the first). */
  get serverState(): FedAdamState | null {
    return this.state;
  }
  /** [m, v]; zeros before the first aggregated round (the same start as no state). */
  override saveState(): Float64Array[] {
    const p = this.options.parameterCount;
    return [this.state?.m ?? new Float64Array(p), this.state?.v ?? new Float64Array(p)];
  }
  override restoreState(state: readonly Float64Array[]): void {
    this.checkState(state, 2);
    this.state = { m: Float64Array.from(state[0]), v: Float64Array.from(state[1]) };
  }
  protected aggregate(round: number, accepted: readonly TrainResult[]): Float64Array {
    const current = this.sent.get(round);
    if (!current) {
      throw new InfrabaseError(
        'INTERNAL',
        `FedAdam: aggregateTrain for round ${round} without configureTrain`,
      );
    }
    const step = fedAdamStep(current, weightedAverage(accepted), this.state, this.params);
    this.state = step.state;
    return step.weights;
  }
}

/** Coordinate-wise β-trimmed mean (Yin et al. 2018, arXiv:1803.01498). */
export class TrimmedMean extends BaseStrategy {
  readonly name: StrategyName = 'trimmed_mean';
  private readonly beta: number;
  constructor(options: StrategyOptions) {
    super(options);
    this.beta = options.trimFraction ?? 0.25;
    if (!(this.beta >= 0 && this.beta < 0.5)) {
      throw new InfrabaseError('INVALID_ARGUMENT', `trimmed mean beta must be in [0, 0.5), got ${this.beta}`);
    }
  }
  protected aggregate(_round: number, accepted: readonly TrainResult[]): Float64Array {
    return trimmedMean(accepted, this.beta);
  }
}

/** Coordinate-wise median (Yin et al. 2018, arXiv:1803.01498). */
export class Median extends BaseStrategy {
  readonly name: StrategyName = 'median';
  protected aggregate(_round: number, accepted: readonly TrainResult[]): Float64Array {
    return coordinateMedian(accepted);
  }
}

/**
 * The strategy named by `sys_training_jobs.strategy`.
 * @throws InfrabaseError('INVALID_ARGUMENT') for an unknown name or bad options.
 */
export function createStrategy(name: string, options: StrategyOptions): Strategy {
  switch (name) {
    case 'fedavg':
      return new FedAvg(options);
    case 'fedprox':
      return new FedProx(options);
    case 'fedadam':
      return new FedAdam(options);
    case 'trimmed_mean':
      return new TrimmedMean(options);
    case 'median':
      return new Median(options);
    default:
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `strategy '${name}' is unknown; accepted: ${STRATEGY_NAMES.join(', ')}`,
      );
  }
}
