import { describe, expect, it } from 'vitest';
import { rewritePredictCalls } from '../../../ml/predict/native/index.js';

describe('rewritePredictCalls', () => {
  it('turns PREDICT and PREDICT_PROBA calls of any case into the native function with their kind', () => {
    expect(rewritePredictCalls("SELECT predict('m', a), Predict_Proba ('m', b) FROM t", 'call')).toBe(
      "SELECT ib_batch_call(0, 'm', a), ib_batch_call(1, 'm', b) FROM t",
    );
    expect(rewritePredictCalls("SELECT PREDICT(/* model */ 'm', a) FROM t", 'defer')).toBe(
      "SELECT ib_batch_defer(0, /* model */ 'm', a) FROM t",
    );
  });

  it('leaves string literals, quoted identifiers, comments and longer words alone', () => {
    const sql = `SELECT 'PREDICT(x)', "PREDICT(y)", [predict(z)], \`predict(w)\` -- PREDICT(v)
      , my_predict(1), predictor(2) /* PREDICT(u) */ FROM t WHERE s = 'it''s PREDICT(' `;
    expect(rewritePredictCalls(sql, 'call')).toBe(sql);
  });

  it('rewrites calls nested in other calls and in subqueries', () => {
    expect(
      rewritePredictCalls("SELECT PREDICT('m', PREDICT('m', a), (SELECT max(b) FROM u)) FROM t", 'call'),
    ).toBe("SELECT ib_batch_call(0, 'm', ib_batch_call(0, 'm', a), (SELECT max(b) FROM u)) FROM t");
  });

  it('declines PREDICT_JSON, calls without arguments and unbalanced quotes', () => {
    expect(rewritePredictCalls("SELECT PREDICT_JSON('m', j) FROM t", 'call')).toBeNull();
    expect(rewritePredictCalls('SELECT PREDICT( ) FROM t', 'call')).toBeNull();
    expect(rewritePredictCalls("SELECT PREDICT('m, a) FROM t", 'call')).toBeNull();
  });
});
