import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Rows } from '../../ml/training/index.js';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/**
 * The shared real data (see its PROVENANCE.md): `../shared/data` beside the repository, as laid out for
 * development and CI; `INFRABASE_SHARED_DATA` overrides it.
 */
export const SHARED_DATA = process.env.INFRABASE_SHARED_DATA ?? resolve(repoRoot(), '../shared/data');

/**
 * Parsed CSV records as training rows: `X` row-major [n, d] float64 with `feature(record, name)` for each of
 * `featureNames`, `y` [n] float64 with `label(record)`.
 */
export function recordsToRows(
  records: readonly Record<string, string>[],
  featureNames: readonly string[],
  feature: (r: Record<string, string>, name: string) => number,
  label: (r: Record<string, string>) => number,
): Rows {
  const n = records.length;
  const d = featureNames.length;
  const X = new Float64Array(n * d);
  const y = new Float64Array(n);
  records.forEach((r, i) => {
    featureNames.forEach((f, j) => {
      X[i * d + j] = feature(r, f);
    });
    y[i] = label(r);
  });
  return { X, y, n, d };
}
