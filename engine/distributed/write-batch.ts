import { InfrabaseError } from '../errors.js';
import type { ColumnSpec } from './types.js';

/**
 * One change of a write batch, as row images (docs/distributed-tables.md, "Writes"): replicas apply the
 * images, never re-run the statement, so `random()`, `now` and default ids cannot diverge.
 * - `create_table` — creates the table (with `_row INTEGER PRIMARY KEY` first) if it does not exist;
 * - `drop_table` — drops it if it exists;
 * - `upsert` — full rows keyed by `_row` (`columns[0]` must be `_row`); BLOBs as `{"$base64": …}`;
 * - `delete` — rows by `_row`.
 */
export type WriteOp =
  | { readonly op: 'create_table'; readonly table: string; readonly columns: readonly ColumnSpec[] }
  | { readonly op: 'drop_table'; readonly table: string }
  | {
      readonly op: 'upsert';
      readonly table: string;
      readonly columns: readonly string[];
      readonly rows: readonly (readonly unknown[])[];
    }
  | { readonly op: 'delete'; readonly table: string; readonly rows: readonly number[] };

/** The unit of replication: the shard's `lsn` it creates and the `epoch` of the coordinator that sent it. */
export interface WriteBatch {
  readonly epoch: number;
  readonly lsn: number;
  readonly ops: readonly WriteOp[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const TYPES = new Set(['INTEGER', 'REAL', 'TEXT', 'BLOB', 'NUMERIC']);

/** Whether `s` is an accepted table or colocation-group name: letters, digits and _, 1-128, not digit-first. */
export function isPlainName(s: unknown): s is string {
  return typeof s === 'string' && NAME.test(s);
}

/**
 * Checks a batch's shape (it crosses the network). Table names must be plain (letters, digits, `_`) and not
 * `_placement` / `_log` / `sys_*`; `upsert` columns start with `_row` and every row has their width.
 * @throws InfrabaseError('INVALID_ARGUMENT') naming what is wrong and what is accepted.
 */
export function validateBatch(b: unknown): WriteBatch {
  const batch = b as Partial<WriteBatch> | undefined;
  const bad = (m: string): never => {
    throw new InfrabaseError('INVALID_ARGUMENT', `write batch: ${m}`);
  };
  if (!batch || typeof batch !== 'object') bad('expected {epoch, lsn, ops}');
  if (!Number.isSafeInteger(batch!.epoch) || batch!.epoch! < 0)
    bad(`epoch must be an integer >= 0; got ${batch!.epoch}`);
  if (!Number.isSafeInteger(batch!.lsn) || batch!.lsn! < 1)
    bad(`lsn must be an integer >= 1; got ${batch!.lsn}`);
  if (!Array.isArray(batch!.ops)) bad('ops must be an array');
  for (const [i, op] of batch!.ops!.entries()) {
    const table = (op as { table?: unknown })?.table;
    if (!isPlainName(table) || /^(_placement|_log|sys_.*)$/i.test(table)) {
      bad(
        `op ${i}: table ${JSON.stringify(table)} is not accepted; use letters, digits and _, not _placement, _log or sys_*`,
      );
    }
    switch (op.op) {
      case 'create_table':
        if (!Array.isArray(op.columns) || op.columns.length === 0) bad(`op ${i}: create_table needs columns`);
        for (const c of op.columns) {
          if (
            typeof c?.name !== 'string' ||
            c.name === '' ||
            c.name.toLowerCase() === '_row' ||
            !TYPES.has(c.type)
          ) {
            bad(
              `op ${i}: column ${JSON.stringify(c)} needs a name (not _row) and a type of ${[...TYPES].join(', ')}`,
            );
          }
        }
        break;
      case 'drop_table':
        break;
      case 'upsert':
        if (!Array.isArray(op.columns) || op.columns[0] !== '_row')
          bad(`op ${i}: upsert columns must start with _row`);
        if (!Array.isArray(op.rows)) bad(`op ${i}: upsert needs rows`);
        for (const r of op.rows) {
          if (!Array.isArray(r) || r.length !== op.columns.length || !Number.isSafeInteger(r[0])) {
            bad(`op ${i}: each row needs ${op.columns.length} values with an integer _row first`);
          }
        }
        break;
      case 'delete':
        if (!Array.isArray(op.rows) || !op.rows.every((r) => Number.isSafeInteger(r))) {
          bad(`op ${i}: delete needs rows, an array of integer _row ids`);
        }
        break;
      default:
        bad(
          `op ${i}: op must be create_table, drop_table, upsert or delete; got ${JSON.stringify((op as { op?: unknown })?.op)}`,
        );
    }
  }
  return batch as WriteBatch;
}
