import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { TRAINING_MODEL_TYPES, TRAINING_STRATEGIES } from '../../../engine/index.js';
import { type ConnectionFlags, connect, connectionOptions } from '../connection.js';
import { enumOption } from '../enum-flags.js';
import { followJob, formatRound } from '../follow-job.js';
import { integerFlag, numberFlag } from '../numeric-flags.js';
import { jsonOption, type OutputFlags, printJson } from '../output.js';

/**
 * Defaults of the flags, shown in `--help`: the column defaults of `sys_training_jobs` (a test checks they
 * match the catalog).
 */
export const TRAIN_DEFAULTS = {
  type: 'logistic',
  strategy: 'fedavg',
  rounds: 10,
  epochs: 1,
  batchSize: 32,
  learningRate: 0.1,
  optimizer: 'sgd',
  minShards: 1,
  fraction: 1,
  roundTimeoutMs: 120_000,
} as const;

/** The local optimizers `sys_training_jobs.optimizer` accepts. */
const OPTIMIZERS = ['sgd', 'adam'] as const;

interface TrainFlags extends ConnectionFlags, OutputFlags {
  model: string;
  sql: string;
  label: string;
  features: string;
  type?: string;
  strategy?: string;
  rounds?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  optimizer?: string;
  minShards?: number;
  fraction?: number;
  roundTimeoutMs?: number;
  params?: string;
  seed?: number;
  wait?: boolean;
  pollMs?: number;
}

/**
 * `infrabase train --model NAME --sql "SELECT …" --label y --features a,b,c …`: inserts a sys_training_jobs
 * row through the API, then follows it with a progress bar over rounds and one line of metrics per round,
 * ending with the model version (exit 1 if the job fails).
 */
export function registerTrain(program: Command): void {
  connectionOptions(
    jsonOption(
      program
        .command('train')
        .description('start a federated training job over the data nodes and follow it')
        .requiredOption('--model <name>', "model name in sys_models (PREDICT('name', …))")
        .requiredOption(
          '--sql <sql>',
          'training_sql run on every shard (read-only); may return a _holdout column',
        )
        .requiredOption('--label <column>', 'label column of the query')
        .requiredOption('--features <list>', 'comma-separated feature columns, in model input order')
        .addOption(enumOption('--type <type>', 'model type', TRAINING_MODEL_TYPES, TRAIN_DEFAULTS.type))
        .addOption(
          enumOption('--strategy <name>', 'federated strategy', TRAINING_STRATEGIES, TRAIN_DEFAULTS.strategy),
        )
        .option('--rounds <n>', 'federated rounds', integerFlag(1), TRAIN_DEFAULTS.rounds)
        .option('--epochs <n>', 'local epochs per round', integerFlag(1), TRAIN_DEFAULTS.epochs)
        .option('--batch-size <n>', 'local mini-batch size', integerFlag(1), TRAIN_DEFAULTS.batchSize)
        .option('--learning-rate <x>', 'local learning rate', numberFlag(0), TRAIN_DEFAULTS.learningRate)
        .addOption(enumOption('--optimizer <name>', 'local optimizer', OPTIMIZERS, TRAIN_DEFAULTS.optimizer))
        .option('--min-shards <n>', 'fewest shards per round', integerFlag(1), TRAIN_DEFAULTS.minShards)
        .option(
          '--fraction <x>',
          'fraction of shards sampled per round, (0, 1]',
          numberFlag(0, 1),
          TRAIN_DEFAULTS.fraction,
        )
        .option(
          '--round-timeout-ms <n>',
          'round time limit in ms',
          integerFlag(1),
          TRAIN_DEFAULTS.roundTimeoutMs,
        )
        .option('--params <json>', 'strategy_params JSON (mu, fedAdam, trimFraction, classes, l2)')
        .option('--seed <n>', 'job seed', integerFlag(Number.MIN_SAFE_INTEGER))
        .option('--no-wait', 'insert the job and exit')
        .option('--poll-ms <n>', 'how often to poll the job, ms', integerFlag(1), 300),
    ),
  ).action(async (flags: TrainFlags) => {
    const client = connect(flags);
    const features = flags.features
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean);
    const cols: Record<string, unknown> = {
      model_name: flags.model,
      training_sql: flags.sql,
      label_column: flags.label,
      feature_columns: JSON.stringify(features),
      model_type: flags.type,
      strategy: flags.strategy,
      rounds: flags.rounds,
      local_epochs: flags.epochs,
      batch_size: flags.batchSize,
      learning_rate: flags.learningRate,
      optimizer: flags.optimizer,
      min_shards: flags.minShards,
      fraction: flags.fraction,
      round_timeout_ms: flags.roundTimeoutMs,
      strategy_params: flags.params,
      seed: flags.seed,
    };
    const given = Object.entries(cols).filter(([, v]) => v !== undefined);
    const res = await client.sql(
      `INSERT INTO sys_training_jobs (${given.map(([k]) => k).join(', ')}) VALUES (${given.map(() => '?').join(', ')}) RETURNING id, rounds`,
      given.map(([, v]) => v),
    );
    const [id, rounds] = res.rows[0] as [number, number];
    if (flags.json) {
      // One JSON object per line: the job, each round as it completes, the outcome.
      printJson({ job: id, model: flags.model, rounds, strategy: flags.strategy });
      if (flags.wait === false) return;
      const version = await followJob(client, id, { pollMs: flags.pollMs, onRound: (r) => printJson(r) });
      printJson({ job: id, status: 'succeeded', model: flags.model, version });
      return;
    }
    process.stdout.write(`training job ${id}: ${rounds} rounds of ${flags.strategy} over the data nodes\n`);
    if (flags.wait === false) return;
    const bar = new SingleBar({
      format: `job ${id} [{bar}] round {value}/{total}`,
      stream: process.stderr,
      hideCursor: true,
    });
    bar.start(rounds, 0);
    try {
      const version = await followJob(client, id, {
        pollMs: flags.pollMs,
        onRound: (r) => {
          bar.update(r.round);
          process.stdout.write(`${formatRound(r)}\n`);
        },
      });
      bar.update(rounds);
      bar.stop();
      process.stdout.write(`job ${id} succeeded: model ${flags.model} version ${version}\n`);
    } finally {
      bar.stop();
    }
  });
}
