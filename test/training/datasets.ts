import {
  evaluateModel,
  featureMoments,
  initialWeights,
  modelSpec,
  type Rows,
  standardizationFromMoments,
  standardizeRows,
  trainLocal,
} from '../../ml/index.js';
import { BANK_NUMERIC_COLUMNS } from '../ml/federated/tabular-data.js';
import { DATA_DIR, HOLDOUT_SQL, holdoutSplit } from './cluster.js';

export const BANK_CSV = `${DATA_DIR}/tabular/bank_marketing.csv`;

/**
 * Bank Marketing (Moro et al. 2014; 4,119 rows): the 10 numeric columns plus `contact = 'cellular'` and
 * `poutcome = 'success'` as 0/1, label `y = 'yes'` — the in-process benchmark's features — with the fixed 20%
 * hold-out by a hash of `_row`.
 */
export const BANK_FEATURES = [
  'age',
  'duration',
  'campaign',
  'pdays',
  'previous',
  'emp_var_rate',
  'cons_price_idx',
  'cons_conf_idx',
  'euribor3m',
  'nr_employed',
  'cellular',
  'poutcome_success',
];
export const BANK_SQL = `SELECT age, duration, campaign, pdays, previous, "emp.var.rate" AS emp_var_rate,
  "cons.price.idx" AS cons_price_idx, "cons.conf.idx" AS cons_conf_idx, euribor3m,
  "nr.employed" AS nr_employed, (contact = 'cellular') AS cellular, (poutcome = 'success') AS poutcome_success,
  (y = 'yes') AS y, ${HOLDOUT_SQL} AS _holdout FROM bank`;

/** Bank Marketing split as {@link BANK_SQL} splits it. */
export function bankRows(): { train: Rows; test: Rows } {
  return holdoutSplit(BANK_CSV, (r) => [
    ...BANK_NUMERIC_COLUMNS.map((c) => Number(r[c])),
    Number(r.contact === 'cellular'),
    Number(r.poutcome === 'success'),
    Number(r.y === 'yes'),
  ]);
}

/**
 * Test accuracy (fraction in [0, 1]) of a centralized logistic regression: all training rows together,
 * standardised, mini-batch SGD (batch 32, learning rate 0.05, 10 epochs, seed 1).
 */
export function centralizedAccuracy(data: { train: Rows; test: Rows }): number {
  const model = modelSpec({ type: 'logistic', features: data.train.d });
  const s = standardizationFromMoments(featureMoments(data.train));
  const trained = trainLocal({
    model,
    weights: initialWeights(model, 1),
    rows: standardizeRows(data.train, s),
    epochs: 10,
    batchSize: 32,
    learningRate: 0.05,
    optimizer: 'sgd',
    seed: 1,
  });
  return evaluateModel(model, trained.weights, standardizeRows(data.test, s)).accuracy!;
}
