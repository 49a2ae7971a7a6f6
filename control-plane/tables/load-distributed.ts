import { createReadStream, statSync } from 'node:fs';
import { parse } from 'csv-parse';
import { InfrabaseError } from '../../engine/index.js';
import type { ApiClient } from '../client/index.js';
import { coerceValue, inferColumnTypes } from './distribute.js';

export interface LoadDistributedOptions {
  /** Column whose hash picks the shard; omit to hash the generated `_row`. */
  shardBy?: string;
  /** Copies of each shard on distinct data nodes (default: 2 with two or more data nodes, else 1). */
  replicas?: number;
  /** Number of shards (default 32). */
  shards?: number;
  delimiter?: string;
  /** Rows per request (default 2000). */
  batchSize?: number;
  /** How long to wait for the new table's shards to be placed, ms (default 60000). */
  placementTimeoutMs?: number;
  onProgress?: (bytesRead: number, totalBytes: number, rows: number) => void;
}

export interface LoadDistributedResult {
  table: string;
  rows: number;
  shards: number;
  replicationFactor: number;
  columns: { name: string; type: string }[];
}

/**
 * Streams a CSV (header row) into a new distributed table: the first batch fixes the column types, an
 * `INSERT INTO sys_distributed_tables` creates the table (shard key, shard count, replication factor), the
 * loader waits until every shard has an in-sync placement with the table, then each batch goes to
 * `POST /v1/tables/:name/insert`, acknowledged once every in-sync copy of each touched shard has it.
 * @throws InfrabaseError('INVALID_ARGUMENT') for an unreadable file, a missing header, a record of the wrong
 *   width or an unknown shard-by column; `CONSTRAINT` when the table exists; `TIMEOUT` when the shards are
 *   not placed in time (e.g. no ready data node); API errors as answered.
 */
export async function loadDistributedCsv(
  client: ApiClient,
  table: string,
  file: string,
  options: LoadDistributedOptions = {},
): Promise<LoadDistributedResult> {
  let total: number;
  try {
    total = statSync(file).size;
  } catch (err) {
    throw new InfrabaseError('INVALID_ARGUMENT', `cannot read ${file}: ${(err as Error).message}`);
  }
  const batchSize = options.batchSize ?? 2000;
  const input = createReadStream(file);
  let bytes = 0;
  input.on('data', (c) => {
    bytes += c.length;
  });
  const parser = input.pipe(
    parse({ delimiter: options.delimiter ?? ',', ltrim: true, skip_empty_lines: true, relax_quotes: true }),
  );
  let header: string[] | undefined;
  let columns: { name: string; type: string }[] = [];
  let batch: string[][] = [];
  let count = 0;
  let sent = 0;
  let created: { shard_count: number; replication_factor: number } | undefined;
  const flush = async () => {
    if (batch.length === 0 && created) return;
    if (!created) {
      const types = inferColumnTypes(header!, batch);
      columns = header!.map((name, j) => ({ name, type: types[j] }));
      await client.sql(
        `INSERT INTO sys_distributed_tables (name, columns, shard_key, shard_count, replication_factor)
         VALUES (?, ?, ?, COALESCE(?, 32), ?)`,
        [
          table,
          JSON.stringify(columns),
          options.shardBy ?? null,
          options.shards ?? null,
          options.replicas ?? null,
        ],
      );
      created = await waitForPlacement(client, table, options.placementTimeoutMs ?? 60_000);
    }
    if (batch.length === 0) return;
    const rows = batch.map((r) => r.map((v, j) => coerceValue(v, columns[j].type)));
    await client.request('POST', `/v1/tables/${encodeURIComponent(table)}/insert`, {
      columns: header,
      rows,
    });
    sent += batch.length;
    batch = [];
    options.onProgress?.(bytes, total, sent);
  };
  for await (const record of parser as AsyncIterable<string[]>) {
    if (!header) {
      header = record.map((h) => h.trim());
      if (options.shardBy !== undefined && !header.includes(options.shardBy)) {
        input.destroy();
        throw new InfrabaseError(
          'INVALID_ARGUMENT',
          `--shard-by column '${options.shardBy}' is not in the header; columns: ${header.join(', ')}`,
        );
      }
      continue;
    }
    count++;
    if (record.length !== header.length) {
      input.destroy();
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `record ${count} of ${file} has ${record.length} fields; the header has ${header.length}`,
      );
    }
    batch.push(record);
    if (batch.length >= batchSize) await flush();
  }
  if (!header) throw new InfrabaseError('INVALID_ARGUMENT', `${file} is empty: expected a header row`);
  await flush();
  return {
    table,
    rows: sent,
    shards: created!.shard_count,
    replicationFactor: created!.replication_factor,
    columns,
  };
}

/** Polls the catalog until every shard of the table has an in-sync copy and the table exists on them. */
async function waitForPlacement(
  client: ApiClient,
  table: string,
  timeoutMs: number,
): Promise<{ shard_count: number; replication_factor: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await client.sql(
      `SELECT t.shard_count, t.replication_factor, t.schema_applied,
              (SELECT count(*) FROM sys_shard_status s WHERE s.colocation_group = t.colocation_group AND s.status = 'unavailable')
         FROM sys_distributed_tables t WHERE t.name = ?`,
      [table],
    );
    const [shardCount, rf, applied, unavailable] = (rows[0] ?? []) as number[];
    if (applied === 1 && unavailable === 0) return { shard_count: shardCount, replication_factor: rf };
    if (Date.now() > deadline) {
      throw new InfrabaseError(
        'TIMEOUT',
        `the shards of ${table} were not placed within ${timeoutMs} ms (${unavailable ?? '?'} without a copy): is a data node ready?`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
