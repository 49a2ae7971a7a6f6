import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { Rows } from '../../ml/training/index.js';

/** The repository's root folder (the nearest folder above this file with a package.json). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/**
 * The real data the tests, the README and the demo use, carried by the repository (see examples/PROVENANCE.md):
 * `tabular/` (UCI: iris, adult.csv.gz, bank_marketing, breast_cancer_wdbc, diabetes), `timeseries/` (two NAB
 * traces) and `models/` (the reference ONNX models with sample_runs.json).
 */
export const EXAMPLES = resolve(repoRoot(), 'examples');

/** UCI Adult (32,561 rows), gzip-compressed; `infrabase load` and {@link readDataFile} decompress it. */
export const ADULT_CSV = join(EXAMPLES, 'tabular/adult.csv.gz');

/** The bytes of a data file, gunzipped when its name ends in `.gz`. */
export function readDataFile(path: string): Buffer {
  const bytes = readFileSync(path);
  return path.endsWith('.gz') ? gunzipSync(bytes) : bytes;
}

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
