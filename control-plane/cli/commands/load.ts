import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { InfrabaseError } from '../../../engine/index.js';
import { loadCsv, loadDistributedCsv } from '../../tables/index.js';
import { type ConnectionFlags, connect, connectionOptions } from '../connection.js';
import { renderTable } from '../format.js';
import { integerFlag } from '../numeric-flags.js';
import { jsonOption, type OutputFlags, printJson } from '../output.js';

interface LoadFlags extends ConnectionFlags, OutputFlags {
  shardBy?: string;
  perNode?: boolean;
  replace?: boolean;
  replicas?: number;
  shards?: number;
  delimiter?: string;
  batchSize?: number;
}

/**
 * `infrabase load TABLE FILE.csv [--shard-by COLUMN] [--replicas N] [--shards N] [--replace]`: creates a
 * distributed table (32 shards by default, each with 2 copies when two or more data nodes exist, else 1;
 * docs/distributed-tables.md) and loads it with replicated writes. `--per-node` keeps the older layout (one
 * table per ready data node, no replicas, `sys_tables`). An existing table is refused unless `--replace`.
 */
export function registerLoad(program: Command): void {
  connectionOptions(
    jsonOption(
      program
        .command('load')
        .description(
          'load a CSV (header row) into a distributed table: shards with replicas over the data nodes',
        )
        .argument('<table>', 'table name (letters, digits, _)')
        .argument('<file>', 'a CSV file with a header row')
        .option('--shard-by <column>', 'hash this column to pick the shard (default: hash of the row id)')
        .option('--delimiter <char>', 'field delimiter (leading spaces after it are trimmed)', ',')
        .option('--batch-size <n>', 'rows per request', integerFlag(1), 2000)
        .option(
          '--replicas <n>',
          'distributed table: copies of each shard on distinct data nodes',
          integerFlag(1),
        )
        .option('--shards <n>', 'distributed table: number of shards (default 32)', integerFlag(1))
        .option('--replace', 'drop an existing table of that name and load it anew (refused otherwise)')
        .option(
          '--per-node',
          'older layout: one table per ready data node, no replicas (not moved when nodes change)',
        ),
    ),
  ).action(async (table: string, file: string, flags: LoadFlags) => {
    const client = connect(flags);
    if (flags.perNode && (flags.replicas !== undefined || flags.shards !== undefined)) {
      throw new InfrabaseError('INVALID_ARGUMENT', '--per-node takes neither --replicas nor --shards');
    }
    if (!flags.perNode) {
      const r = await loadDistributedCsv(client, table, file, {
        replace: flags.replace,
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
        replace: flags.replace,
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
