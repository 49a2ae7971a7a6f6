import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { type ConnectionFlags, connect, connectionOptions } from '../connection.js';
import { followJob, formatRound } from '../follow-job.js';
import { integerFlag, numberFlag } from '../numeric-flags.js';

interface TrainFlags extends ConnectionFlags {
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
      .option('--type <type>', 'logistic, softmax, linear or mlp', 'logistic')
      .option('--strategy <name>', 'fedavg, fedprox, fedadam, trimmed_mean or median', 'fedavg')
      .option('--rounds <n>', 'federated rounds', integerFlag(1))
      .option('--epochs <n>', 'local epochs per round', integerFlag(1))
      .option('--batch-size <n>', 'local mini-batch size', integerFlag(1))
      .option('--learning-rate <x>', 'local learning rate', numberFlag(0))
      .option('--optimizer <name>', 'sgd or adam')
      .option('--min-shards <n>', 'fewest shards per round', integerFlag(1))
      .option('--fraction <x>', 'fraction of shards sampled per round, (0, 1]', numberFlag(0, 1))
      .option('--round-timeout-ms <n>', 'round time limit in ms', integerFlag(1))
      .option('--params <json>', 'strategy_params JSON (mu, fedAdam, trimFraction, classes, l2)')
      .option('--seed <n>', 'job seed', integerFlag(Number.MIN_SAFE_INTEGER))
      .option('--no-wait', 'insert the job and exit')
      .option('--poll-ms <n>', 'how often to poll the job, ms', integerFlag(1), 300),
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
