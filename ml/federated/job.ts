import { InfrabaseError } from '../../engine/index.js';
import type { ModelSpecOptions, ModelType } from '../training/index.js';
import type { TrainConfig } from './messages.js';
import type { StrategyOptions } from './strategies.js';

/** A `sys_training_jobs` row as read by the coordinator. Durations in ms, timestamps ms since the epoch. */
export interface TrainingJobRow {
  id: number;
  model_name: string;
  training_sql: string;
  label_column: string;
  feature_columns: string;
  model_type: ModelType;
  hidden_layers: string;
  strategy: string;
  strategy_params: string;
  optimizer: 'sgd' | 'adam';
  rounds: number;
  local_epochs: number;
  batch_size: number;
  learning_rate: number;
  min_shards: number;
  fraction: number;
  round_timeout_ms: number;
  accept_failures: number;
  seed: number;
  status: string;
  status_reason: string | null;
  current_round: number;
  model_version: number | null;
  standardization: string | null;
}

/** What a job row means for the coordinator: the model, the shard query and the strategy's options. */
export interface JobPlan {
  features: string[];
  label: string;
  sql: string;
  model: ModelSpecOptions;
  strategy: string;
  strategyOptions: Omit<StrategyOptions, 'parameterCount'>;
  /** L2 penalty λ sent to the shards (`strategy_params.l2`, default 0). */
  l2: number;
}

/**
 * Reads a job row into a {@link JobPlan}. `strategy_params` may hold `mu` (FedProx), `fedAdam` (server Adam
 * settings), `trimFraction` (trimmed mean β), `classes` (softmax/multiclass mlp) and `l2`.
 * @throws InfrabaseError('INVALID_ARGUMENT') naming the field that does not parse.
 */
export function planJob(row: TrainingJobRow): JobPlan {
  const features = JSON.parse(row.feature_columns) as unknown[];
  if (!features.every((f) => typeof f === 'string' && f.length > 0)) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `feature_columns ${row.feature_columns} must be a JSON array of column names`,
    );
  }
  const params = JSON.parse(row.strategy_params) as Record<string, unknown>;
  const hidden = JSON.parse(row.hidden_layers) as number[];
  const classes = params.classes === undefined ? undefined : Number(params.classes);
  const model: ModelSpecOptions = {
    type: row.model_type,
    features: features.length,
    ...(classes !== undefined ? { classes } : {}),
    ...(row.model_type === 'mlp' ? { hidden: hidden.length > 0 ? hidden : [16] } : {}),
  };
  const train: Pick<TrainConfig, 'epochs' | 'batchSize' | 'learningRate' | 'optimizer'> = {
    epochs: row.local_epochs,
    batchSize: row.batch_size,
    learningRate: row.learning_rate,
    optimizer: row.optimizer,
  };
  return {
    features: features as string[],
    label: row.label_column,
    sql: row.training_sql,
    model,
    strategy: row.strategy,
    strategyOptions: {
      train,
      fraction: row.fraction,
      minShards: row.min_shards,
      acceptFailures: row.accept_failures === 1,
      seed: row.seed,
      ...(params.mu !== undefined ? { mu: Number(params.mu) } : {}),
      ...(params.fedAdam !== undefined ? { fedAdam: params.fedAdam as StrategyOptions['fedAdam'] } : {}),
      ...(params.trimFraction !== undefined ? { trimFraction: Number(params.trimFraction) } : {}),
    },
    l2: params.l2 === undefined ? 0 : Number(params.l2),
  };
}
