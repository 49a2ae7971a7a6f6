import { InfrabaseError } from '../../engine/index.js';
import type { ApiClient } from '../client/index.js';
import { csvBatches } from './csv-batches.js';
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
 * `POST /v1/tables/:name/insert`, acknowledged once every in-sync copy of each touched shard has it. A file
 * whose name ends in `.gz` is gunzipped as it streams.
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
  let columns: { name: string; type: string }[] = [];
  let created: { shard_count: number; replication_factor: number } | undefined;
  let sent = 0;
  const batches = csvBatches(file, {
    delimiter: options.delimiter,
    batchSize: options.batchSize,
    requiredColumn: options.shardBy,
  });
  for await (const { header, records, bytesRead, totalBytes } of batches) {
    if (!created) {
      const types = inferColumnTypes(header, records);
      columns = header.map((name, j) => ({ name, type: types[j] }));
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
    if (records.length === 0) continue;
    const rows = records.map((r) => r.map((v, j) => coerceValue(v, columns[j].type)));
    await client.request('POST', `/v1/tables/${encodeURIComponent(table)}/insert`, { columns: header, rows });
    sent += records.length;
    options.onProgress?.(bytesRead, totalBytes, sent);
  }
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
