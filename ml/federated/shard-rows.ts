import { InfrabaseError } from '../../engine/index.js';
import type { Rows } from '../training/index.js';

/** Column of `training_sql`'s result that marks a row as held out for evaluation (truthy ⇒ held out). */
export const HOLDOUT_COLUMN = '_holdout';

/** A shard's rows split into training and held-out (evaluation) rows, as dense matrices. */
export interface ShardRows {
  /** Rows whose `_holdout` is absent, NULL or 0: trained on, and counted in the standardisation moments. */
  train: Rows;
  /** Rows whose `_holdout` is truthy: only evaluated on. Empty (n = 0) without a `_holdout` column. */
  holdout: Rows;
}

function toNumber(v: unknown, what: () => string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  throw new InfrabaseError(
    'INVALID_ARGUMENT',
    `${what()} is ${JSON.stringify(v)}; accepted: a finite number (cast categories to 0/1 or class ids in training_sql)`,
  );
}

/**
 * Builds X [n, F] (row-major, float64) and y [n] from the rows of `training_sql` on one shard. Features are
 * taken in `featureColumns` order; the label from `labelColumn`; a `_holdout` column, when present, splits
 * the rows into training and evaluation rows (do the split in SQL, e.g. by a hash of a row id).
 * @throws InfrabaseError('INVALID_ARGUMENT') when a named column is missing from the result, or a value is
 *   not a number (naming the row, the column and the value).
 */
export function buildShardRows(
  result: { columns: readonly string[]; rows: readonly unknown[][] },
  labelColumn: string,
  featureColumns: readonly string[],
): ShardRows {
  const index = (name: string) => {
    const i = result.columns.indexOf(name);
    if (i < 0) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `training_sql returns no column '${name}'; it returns: ${result.columns.join(', ')}`,
      );
    }
    return i;
  };
  const label = index(labelColumn);
  const features = featureColumns.map(index);
  const holdoutAt = result.columns.indexOf(HOLDOUT_COLUMN);
  const d = features.length;
  const sets = { train: [] as number[], holdout: [] as number[] };
  result.rows.forEach((row, r) => {
    const v = holdoutAt >= 0 ? row[holdoutAt] : null;
    (v === null || v === 0 || v === 0n || v === '0' || v === false ? sets.train : sets.holdout).push(r);
  });
  const build = (indices: number[]): Rows => {
    const X = new Float64Array(indices.length * d);
    const y = new Float64Array(indices.length);
    indices.forEach((r, i) => {
      const row = result.rows[r];
      for (let j = 0; j < d; j++) {
        X[i * d + j] = toNumber(row[features[j]], () => `column '${featureColumns[j]}' of row ${r + 1}`);
      }
      y[i] = toNumber(row[label], () => `label '${labelColumn}' of row ${r + 1}`);
    });
    return { X, y, n: indices.length, d };
  };
  return { train: build(sets.train), holdout: build(sets.holdout) };
}
