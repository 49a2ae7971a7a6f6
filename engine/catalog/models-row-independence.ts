/**
 * Migration 8: `sys_models.row_independent` — whether the model scores each row of a batch independently of
 * the others, decided at import by the ml module's probe (rows scored alone and together must give
 * bit-identical outputs): 1 = independent (PREDICT may score rows in batches), 0 = the model mixes rows along
 * the first dimension (softmax or ArgMax over axis 0, Concat, …) or could not be probed (scored one row at a
 * time, whatever the statement). NULL on rows imported before this migration: the ml module probes those when
 * it loads them.
 */
export const modelsRowIndependenceSchema = `
ALTER TABLE sys_models ADD COLUMN row_independent INTEGER
  CONSTRAINT "sys_models.row_independent must be 0 or 1" CHECK (row_independent IS NULL OR row_independent IN (0, 1));
`;
