import { coerceValue, inferColumnTypes } from '../../engine/index.js';
import type { ApiClient } from '../client/index.js';
import { csvBatches } from './csv-batches.js';

/** The column `infrabase load` adds: the record's 1-based position in the file (a stable row id). */
export const ROW_ID_COLUMN = '_row';

export interface LoadCsvOptions {
  /** Column whose hash picks the shard; omit for round-robin. */
  shardBy?: string;
  /** Field delimiter (default `,`); leading spaces after it are trimmed (adult.csv's `", "`). */
  delimiter?: string;
  /** Rows per request to the control plane (default 2000). */
  batchSize?: number;
  /** Replace an existing table of that name; without it a load over an existing table is refused. */
  replace?: boolean;
  /** Called after each batch with bytes read so far and the file's size (compressed bytes for `.gz`). */
  onProgress?: (bytesRead: number, totalBytes: number, rows: number) => void;
}

export interface LoadCsvResult {
  table: string;
  rows: number;
  /** Rows per data node id. */
  perNode: Record<string, number>;
  columns: { name: string; type: string }[];
}

/**
 * The older per-node layout (`infrabase load --per-node`; distributed tables are the default, see
 * {@link loadDistributedCsv}). Streams a CSV file with a header row into a sharded table through the control plane: csv-parse reads it
 * record by record (never the whole file), the first batch fixes the column types (INTEGER, REAL or TEXT),
 * `POST /v1/tables/:name/create` creates the table on every ready data node, then each batch goes to
 * `POST /v1/tables/:name/rows`, which spreads it over the nodes. Adds {@link ROW_ID_COLUMN} (`_row`).
 * A file whose name ends in `.gz` is gunzipped as it streams.
 * @throws InfrabaseError('INVALID_ARGUMENT') for an unreadable file, a missing header, a record of the wrong
 *   width or an unknown shard-by column; API errors as answered.
 */
export async function loadCsv(
  client: ApiClient,
  table: string,
  file: string,
  options: LoadCsvOptions = {},
): Promise<LoadCsvResult> {
  let columns: { name: string; type: string }[] = [];
  let nodes: string[] = [];
  let sent = 0;
  const perNode: Record<string, number> = {};
  const batches = csvBatches(file, {
    delimiter: options.delimiter,
    batchSize: options.batchSize,
    requiredColumn: options.shardBy,
  });
  for await (const { header, records, bytesRead, totalBytes } of batches) {
    if (records.length === 0) continue;
    if (nodes.length === 0) {
      const types = inferColumnTypes(header, records);
      columns = [
        { name: ROW_ID_COLUMN, type: 'INTEGER' },
        ...header.map((name, j) => ({ name, type: types[j] })),
      ];
      const created = await client.request<{ nodes: string[] }>(
        'POST',
        `/v1/tables/${encodeURIComponent(table)}/create`,
        { layout: 'per-node', columns, shardBy: options.shardBy, replace: options.replace === true },
      );
      nodes = created.nodes;
    }
    const rows = records.map((r, i) => [
      sent + i + 1,
      ...r.map((v, j) => coerceValue(v, columns[j + 1].type)),
    ]);
    const res = await client.request<{ rows: Record<string, number> }>(
      'POST',
      `/v1/tables/${encodeURIComponent(table)}/rows`,
      { columns: columns.map((c) => c.name), rows, nodes, offset: sent, shardBy: options.shardBy },
    );
    for (const [node, n] of Object.entries(res.rows)) perNode[node] = (perNode[node] ?? 0) + n;
    sent += records.length;
    options.onProgress?.(bytesRead, totalBytes, sent);
  }
  return { table, rows: sent, perNode, columns };
}
