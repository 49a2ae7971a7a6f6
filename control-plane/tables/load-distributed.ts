import { coerceValue, inferColumnTypes } from '../../engine/index.js';
import type { ApiClient } from '../client/index.js';
import { csvBatches } from './csv-batches.js';

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
  /** How long the control plane waits for a replaced table's drop and the new shards' placement, ms (default 60000). */
  placementTimeoutMs?: number;
  /** Replace an existing table of that name; without it a load over an existing table is refused. */
  replace?: boolean;
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
 * Streams a CSV (header row) into a new distributed table: the first batch fixes the column types,
 * `POST /v1/tables/:name/create` creates the table (shard key, shard count, replication factor; an existing
 * table is refused unless `replace`) and answers once every shard has an in-sync placement with the table,
 * then each batch goes to
 * `POST /v1/tables/:name/insert`, acknowledged once every in-sync copy of each touched shard has it. A file
 * whose name ends in `.gz` is gunzipped as it streams.
 * @throws InfrabaseError('INVALID_ARGUMENT') for an unreadable file, a missing header, a record of the wrong
 *   width or an unknown shard-by column; `CONFLICT` when the table exists; `TIMEOUT` when the shards are
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
      const r = await client.request<{ shards: number; replicationFactor: number }>(
        'POST',
        `/v1/tables/${encodeURIComponent(table)}/create`,
        {
          layout: 'distributed',
          columns,
          shardBy: options.shardBy,
          shards: options.shards,
          replicas: options.replicas,
          replace: options.replace === true,
          timeoutMs: options.placementTimeoutMs,
        },
      );
      created = { shard_count: r.shards, replication_factor: r.replicationFactor };
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
