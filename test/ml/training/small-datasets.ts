import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Rows } from '../../../ml/training/index.js';
import { EXAMPLES, recordsToRows } from '../../support/data.js';

const DATA_DIR = EXAMPLES;

export interface SmallDataset {
  rows: Rows;
  featureNames: string[];
}

/** Reads a numeric CSV from examples/tabular: every column but `label` (and `drop`) is a feature. */
function load(
  file: string,
  label: string,
  toLabel: (v: string) => number,
  drop: string[] = [],
): SmallDataset {
  const records = parse(readFileSync(`${DATA_DIR}/tabular/${file}`), { columns: true }) as Record<
    string,
    string
  >[];
  const featureNames = Object.keys(records[0]).filter((c) => c !== label && !drop.includes(c));
  const rows = recordsToRows(
    records,
    featureNames,
    (r, f) => Number(r[f]),
    (r) => toLabel(r[label]),
  );
  return { rows, featureNames };
}

/** Breast Cancer Wisconsin (569 rows, 30 features), label diagnosis M = 1. */
export const breastCancer = () =>
  load('breast_cancer_wdbc.csv', 'diagnosis', (v) => Number(v === 'M'), ['id']);
/** Iris (150 rows, 4 features), label species 0–2. */
export const iris = () => load('iris.csv', 'species', Number);
/** Diabetes (442 rows, 10 features), regression target. */
export const diabetes = () => load('diabetes.csv', 'target', Number);
