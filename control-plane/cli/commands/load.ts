import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { loadCsv, loadDistributedCsv } from '../../tables/index.js';
import { type ConnectionFlags, connect, connectionOptions } from '../connection.js';
import { renderTable } from '../format.js';
import { integerFlag } from '../numeric-flags.js';
import { jsonOption, type OutputFlags, printJson } from '../output.js';

interface LoadFlags extends ConnectionFlags, OutputFlags {
  shardBy?: string;
  replicas?: number;
  shards?: number;
  delimiter?: string;
  batchSize?: number;
}

/**
 * `infrabase load TABLE FILE.csv [--shard-by COLUMN] [--replicas N] [--shards N]`: with `--replicas` or
 * `--shards`, creates a distributed table (replicated shards, docs/distributed-tables.md) and loads it;
 * otherwise spreads the CSV over the ready data nodes one shard per node, as before.
 */
export function registerLoad(program: Command): void {
  connectionOptions(
    jsonOption(
      program
        .command('load')
        .description('load a CSV (header row) into a table spread over the ready data nodes')
        .argument('<table>', 'table name (letters, digits, _)')
        .argument('<file>', 'a CSV file with a header row')
        .option('--shard-by <column>', 'hash this column to pick the node (default: round-robin)')
        .option('--delimiter <char>', 'field delimiter (leading spaces after it are trimmed)', ',')
        .option('--batch-size <n>', 'rows per request', integerFlag(1), 2000)
        .option(
          '--replicas <n>',
          'distributed table: copies of each shard on distinct data nodes',
          integerFlag(1),
        )
        .option('--shards <n>', 'distributed table: number of shards (default 32)', integerFlag(1)),
    ),
  ).action(async (table: string, file: string, flags: LoadFlags) => {
    const client = connect(flags);
    if (flags.replicas !== undefined || flags.shards !== undefined) {
      const r = await loadDistributedCsv(client, table, file, {
        shardBy: flags.shardBy,
        replicas: flags.replicas,
        shards: flags.shards,
        delimiter: flags.delimiter,
        batchSize: flags.batchSize,
      });
      if (flags.json) {
        printJson({ ...r, shardKey: flags.shardBy ?? '_row' });
        return;
      }
      process.stdout.write(
        `loaded ${r.rows} rows into ${table}: ${r.shards} shards by ${flags.shardBy ? `hash of ${flags.shardBy}` : 'hash of _row'}, ${r.replicationFactor} cop${r.replicationFactor === 1 ? 'y' : 'ies'} each\n`,
      );
      return;
    }
    if (flags.json) {
      const result = await loadCsv(client, table, file, {
        shardBy: flags.shardBy,
        delimiter: flags.delimiter,
        batchSize: flags.batchSize,
      });
      printJson({ table, rows: result.rows, perNode: result.perNode, shardKey: flags.shardBy ?? null });
      return;
    }
    const bar = new SingleBar({
      format: `${table} [{bar}] {percentage}% | {rows} rows`,
      stream: process.stderr,
      hideCursor: true,
    });
    bar.start(100, 0, { rows: 0 });
    try {
      const result = await loadCsv(client, table, file, {
        shardBy: flags.shardBy,
        delimiter: flags.delimiter,
        batchSize: flags.batchSize,
        onProgress: (bytes, total, rows) =>
          bar.update(total > 0 ? Math.round((100 * bytes) / total) : 100, { rows }),
      });
      bar.update(100, { rows: result.rows });
      bar.stop();
      process.stdout.write(
        `loaded ${result.rows} rows into ${table} (${flags.shardBy ? `hash of ${flags.shardBy}` : 'round-robin'})\n`,
      );
      process.stdout.write(`${renderTable(['node', 'rows'], Object.entries(result.perNode))}\n`);
    } finally {
      bar.stop();
    }
  });
}
