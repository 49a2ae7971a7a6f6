import { parse } from 'csv-parse/sync';
import type { Rows } from '../../../ml/training/index.js';
import { ADULT_CSV, EXAMPLES, readDataFile, recordsToRows } from '../../support/data.js';

/** Real UCI data from examples/ for the accuracy tests and benchmarks (see examples/PROVENANCE.md). */
export const DATA_DIR = EXAMPLES;

export interface LabelledData {
  /** Raw (unstandardised) features [n, d] and 0/1 labels. */
  rows: Rows;
  /** A stable id per row (its 1-based position in the file). */
  ids: number[];
  featureNames: string[];
  /** A categorical column kept for non-IID splits, one value per row. */
  group: string[];
}

function build(
  records: Record<string, string>[],
  featureNames: string[],
  feature: (r: Record<string, string>, name: string) => number,
  label: (r: Record<string, string>) => number,
  group: (r: Record<string, string>) => string,
): LabelledData {
  return {
    rows: recordsToRows(records, featureNames, feature, label),
    ids: records.map((_, i) => i + 1),
    featureNames,
    group: records.map(group),
  };
}

function numeric(r: Record<string, string>, name: string): number {
  const v = Number(r[name]);
  if (!Number.isFinite(v)) throw new Error(`column ${name} is not numeric: '${r[name]}'`);
  return v;
}

/**
 * UCI Adult: label `Y` (`>50K` = 1); features age, education-num, capital-gain, capital-loss, hours-per-week,
 * sex = 'Male', marital-status = 'Married-civ-spouse' (0/1). Separator `", "`, `?` for missing (not in these
 * columns).
 */
export function loadAdult(): LabelledData {
  const records = parse(readDataFile(ADULT_CSV), {
    columns: true,
    ltrim: true,
    skip_empty_lines: true,
  }) as Record<string, string>[];
  const names = [
    'age',
    'education-num',
    'capital-gain',
    'capital-loss',
    'hours-per-week',
    'sex_male',
    'married_civ_spouse',
  ];
  return build(
    records,
    names,
    (r, f) =>
      f === 'sex_male'
        ? Number(r.sex === 'Male')
        : f === 'married_civ_spouse'
          ? Number(r['marital-status'] === 'Married-civ-spouse')
          : numeric(r, f),
    (r) => Number(r.Y === '>50K'),
    (r) => r.sex,
  );
}

/** The numeric columns of UCI Bank Marketing used as features (the two 0/1 flags come after them). */
export const BANK_NUMERIC_COLUMNS = [
  'age',
  'duration',
  'campaign',
  'pdays',
  'previous',
  'emp.var.rate',
  'cons.price.idx',
  'cons.conf.idx',
  'euribor3m',
  'nr.employed',
];

/** UCI Bank Marketing (bank-additional, 4,119 rows): label `y` (`yes` = 1), numeric columns plus two 0/1 flags. */
export function loadBank(): LabelledData {
  const records = parse(readDataFile(`${DATA_DIR}/tabular/bank_marketing.csv`), {
    columns: true,
    skip_empty_lines: true,
  }) as Record<string, string>[];
  const names = [...BANK_NUMERIC_COLUMNS, 'contact_cellular', 'poutcome_success'];
  return build(
    records,
    names,
    (r, f) =>
      f === 'contact_cellular'
        ? Number(r.contact === 'cellular')
        : f === 'poutcome_success'
          ? Number(r.poutcome === 'success')
          : numeric(r, f),
    (r) => Number(r.y === 'yes'),
    (r) => r.marital,
  );
}

/** FNV-1a of the decimal id, in [0, 100). */
export function idBucket(id: number): number {
  let h = 0x811c9dc5;
  const s = String(id);
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h % 100;
}

/** Rows at the given indices. */
export function take(rows: Rows, indices: readonly number[]): Rows {
  const { d } = rows;
  const X = new Float64Array(indices.length * d);
  const y = new Float64Array(indices.length);
  indices.forEach((r, i) => {
    X.set(rows.X.subarray(r * d, r * d + d), i * d);
    y[i] = rows.y[r];
  });
  return { X, y, n: indices.length, d };
}

/** Fixed hold-out: rows whose id hashes into the first `percent` buckets are the test set. */
export function holdOut(data: LabelledData, percent = 20): { train: number[]; test: number[] } {
  const train: number[] = [];
  const test: number[] = [];
  data.ids.forEach((id, i) => {
    (idBucket(id) < percent ? test : train).push(i);
  });
  return { train, test };
}

/** Round-robin split of `indices` into `k` shards (an IID split). */
export function roundRobin(indices: readonly number[], k: number): number[][] {
  const shards: number[][] = Array.from({ length: k }, () => []);
  indices.forEach((r, i) => {
    shards[i % k].push(r);
  });
  return shards;
}

/** Split of `indices` by the value of `data.group` (a non-IID split), in sorted group order. */
export function byGroup(data: LabelledData, indices: readonly number[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of indices) {
    const g = data.group[r];
    if (!out.has(g)) out.set(g, []);
    out.get(g)!.push(r);
  }
  return new Map([...out.entries()].sort(([a], [b]) => a.localeCompare(b)));
}
