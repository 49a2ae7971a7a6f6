import { createReadStream, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import { InfrabaseError } from '../../engine/index.js';

export interface CsvBatchOptions {
  /** Field delimiter (default `,`); leading spaces after it are trimmed (adult.csv's `", "`). */
  delimiter?: string;
  /** Records per batch (default 2000). */
  batchSize?: number;
  /** A column the header must have (the shard key). */
  requiredColumn?: string;
}

/** One batch of records, with the header and how far the file has been read. */
export interface CsvBatch {
  readonly header: string[];
  readonly records: string[][];
  /** Bytes of the file read so far and its size (compressed bytes for `.gz`). */
  readonly bytesRead: number;
  readonly totalBytes: number;
}

/**
 * Streams a CSV file with a header row as batches of records: csv-parse reads it record by record (never the
 * whole file); a file whose name ends in `.gz` is gunzipped as it streams. Yields at least one batch (maybe
 * empty: a header-only file).
 * @throws InfrabaseError('INVALID_ARGUMENT') for an unreadable or corrupt file, a missing header, a record of
 *   the wrong width (naming the file and record) or a missing `requiredColumn`.
 */
export async function* csvBatches(file: string, options: CsvBatchOptions = {}): AsyncGenerator<CsvBatch> {
  let totalBytes: number;
  try {
    totalBytes = statSync(file).size;
  } catch (err) {
    throw new InfrabaseError('INVALID_ARGUMENT', `cannot read ${file}: ${(err as Error).message}`);
  }
  const batchSize = options.batchSize ?? 2000;
  const input = createReadStream(file);
  let bytesRead = 0;
  input.on('data', (c) => {
    bytesRead += c.length;
  });
  const gunzip = file.endsWith('.gz') ? input.pipe(createGunzip()) : undefined;
  const parser = (gunzip ?? input).pipe(
    parse({ delimiter: options.delimiter ?? ',', ltrim: true, skip_empty_lines: true, relax_quotes: true }),
  );
  gunzip?.on('error', (err) => {
    input.destroy();
    parser.destroy(new InfrabaseError('INVALID_ARGUMENT', `cannot gunzip ${file}: ${err.message}`));
  });
  let header: string[] | undefined;
  let records: string[][] = [];
  let count = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!header) {
        header = record.map((h) => h.trim());
        if (options.requiredColumn !== undefined && !header.includes(options.requiredColumn)) {
          throw new InfrabaseError(
            'INVALID_ARGUMENT',
            `--shard-by column '${options.requiredColumn}' is not in the header; columns: ${header.join(', ')}`,
          );
        }
        continue;
      }
      count++;
      if (record.length !== header.length) {
        throw new InfrabaseError(
          'INVALID_ARGUMENT',
          `record ${count} of ${file} has ${record.length} fields; the header has ${header.length}`,
        );
      }
      records.push(record);
      if (records.length >= batchSize) {
        yield { header, records, bytesRead, totalBytes };
        records = [];
      }
    }
  } finally {
    input.destroy();
  }
  if (!header) throw new InfrabaseError('INVALID_ARGUMENT', `${file} is empty: expected a header row`);
  if (records.length > 0 || count === 0) yield { header, records, bytesRead, totalBytes };
}
