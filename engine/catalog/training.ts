import { SQL_NOW_MS } from '../now.js';

export const TRAINING_MODEL_TYPES = ['logistic', 'softmax', 'linear', 'mlp'] as const;
export const TRAINING_STRATEGIES = ['fedavg', 'fedprox', 'fedadam', 'trimmed_mean', 'median'] as const;
export const TRAINING_JOB_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const;

const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

/**
 * `sys_training_jobs` (a federated job per row) and `sys_training_rounds` (one row per completed round with
 * the global weights checkpointed, so a restarted coordinator resumes). Durations in milliseconds.
 */
export const trainingSchema = `
CREATE TABLE sys_training_jobs (
  id INTEGER PRIMARY KEY,
  model_name TEXT NOT NULL,
  training_sql TEXT NOT NULL,
  label_column TEXT NOT NULL,
  feature_columns TEXT NOT NULL
    CONSTRAINT "sys_training_jobs.feature_columns must be a non-empty JSON array of column names"
    CHECK (json_valid(feature_columns) AND json_type(feature_columns) = 'array' AND json_array_length(feature_columns) > 0),
  model_type TEXT NOT NULL DEFAULT 'logistic'
    CONSTRAINT "sys_training_jobs.model_type must be one of: ${TRAINING_MODEL_TYPES.join(', ')}"
    CHECK (model_type IN (${list(TRAINING_MODEL_TYPES)})),
  hidden_layers TEXT NOT NULL DEFAULT '[]'
    CONSTRAINT "sys_training_jobs.hidden_layers must be a JSON array of 0-2 layer widths"
    CHECK (json_valid(hidden_layers) AND json_type(hidden_layers) = 'array' AND json_array_length(hidden_layers) <= 2),
  strategy TEXT NOT NULL DEFAULT 'fedavg'
    CONSTRAINT "sys_training_jobs.strategy must be one of: ${TRAINING_STRATEGIES.join(', ')}"
    CHECK (strategy IN (${list(TRAINING_STRATEGIES)})),
  strategy_params TEXT NOT NULL DEFAULT '{}'
    CONSTRAINT "sys_training_jobs.strategy_params must be a JSON object"
    CHECK (json_valid(strategy_params) AND json_type(strategy_params) = 'object'),
  optimizer TEXT NOT NULL DEFAULT 'sgd'
    CONSTRAINT "sys_training_jobs.optimizer must be one of: sgd, adam" CHECK (optimizer IN ('sgd', 'adam')),
  rounds INTEGER NOT NULL DEFAULT 10 CONSTRAINT "sys_training_jobs.rounds must be 1-10000" CHECK (rounds BETWEEN 1 AND 10000),
  local_epochs INTEGER NOT NULL DEFAULT 1
    CONSTRAINT "sys_training_jobs.local_epochs must be 1-1000" CHECK (local_epochs BETWEEN 1 AND 1000),
  batch_size INTEGER NOT NULL DEFAULT 32
    CONSTRAINT "sys_training_jobs.batch_size must be >= 1" CHECK (batch_size >= 1),
  learning_rate REAL NOT NULL DEFAULT 0.1
    CONSTRAINT "sys_training_jobs.learning_rate must be > 0" CHECK (learning_rate > 0),
  min_shards INTEGER NOT NULL DEFAULT 1
    CONSTRAINT "sys_training_jobs.min_shards must be >= 1" CHECK (min_shards >= 1),
  fraction REAL NOT NULL DEFAULT 1.0
    CONSTRAINT "sys_training_jobs.fraction must be in (0, 1]" CHECK (fraction > 0 AND fraction <= 1),
  round_timeout_ms INTEGER NOT NULL DEFAULT 120000
    CONSTRAINT "sys_training_jobs.round_timeout_ms must be > 0" CHECK (round_timeout_ms > 0),
  accept_failures INTEGER NOT NULL DEFAULT 1
    CONSTRAINT "sys_training_jobs.accept_failures must be 0 or 1" CHECK (accept_failures IN (0, 1)),
  seed INTEGER NOT NULL DEFAULT 42,
  status TEXT NOT NULL DEFAULT 'pending'
    CONSTRAINT "sys_training_jobs.status must be one of: ${TRAINING_JOB_STATUSES.join(', ')}"
    CHECK (status IN (${list(TRAINING_JOB_STATUSES)})),
  status_reason TEXT,
  current_round INTEGER NOT NULL DEFAULT 0,
  model_version INTEGER,
  created_at INTEGER NOT NULL DEFAULT (${SQL_NOW_MS}),
  updated_at INTEGER NOT NULL DEFAULT (${SQL_NOW_MS}),
  started_at INTEGER,
  finished_at INTEGER
) STRICT;

CREATE TABLE sys_training_rounds (
  job_id INTEGER NOT NULL REFERENCES sys_training_jobs(id) ON DELETE CASCADE,
  round INTEGER NOT NULL,
  participants TEXT NOT NULL DEFAULT '[]',
  failures TEXT NOT NULL DEFAULT '[]',
  examples INTEGER NOT NULL DEFAULT 0,
  train_loss REAL,
  train_accuracy REAL,
  eval_loss REAL,
  eval_accuracy REAL,
  duration_ms INTEGER,
  weights BLOB,
  created_at INTEGER NOT NULL DEFAULT (${SQL_NOW_MS}),
  PRIMARY KEY (job_id, round)
) STRICT;
`;
