import { describe, expect, it } from 'vitest';
import { deferredColumns } from '../../../ml/predict/batched-query.js';
import { type NativeFunction, rewritePredictCalls } from '../../../ml/predict/native/index.js';
import { predictModelNames, predictSyntax } from '../../../ml/predict/predict-syntax.js';

/** The statement with its PREDICT calls rewritten, as the native path does (null: declined or no call). */
function rewrite(sql: string, fn: NativeFunction): string | null {
  const found = predictSyntax(sql);
  return found ? rewritePredictCalls(sql, found.calls, fn) : null;
}

describe('rewritePredictCalls', () => {
  it('turns PREDICT and PREDICT_PROBA calls of any case into the native function with their kind', () => {
    expect(rewrite("SELECT predict('m', a), Predict_Proba ('m', b) FROM t", 'call')).toBe(
      "SELECT ib_batch_call(0, 'm', a), ib_batch_call(1, 'm', b) FROM t",
    );
    expect(rewrite("SELECT PREDICT(/* model */ 'm', a) FROM t", 'defer')).toBe(
      "SELECT ib_batch_defer(0, /* model */ 'm', a) FROM t",
    );
  });

  it('leaves string literals, quoted identifiers, comments and longer words alone', () => {
    const sql = `SELECT 'PREDICT(x)', "PREDICT(y)", [predict(z)], \`predict(w)\` -- PREDICT(v)
      , my_predict(1), predictor(2) /* PREDICT(u) */ FROM t WHERE s = 'it''s PREDICT(' `;
    expect(predictSyntax(sql)).toBeUndefined();
    expect(rewritePredictCalls(sql, [], 'call')).toBe(sql);
  });

  it('rewrites calls nested in other calls and in subqueries', () => {
    expect(rewrite("SELECT PREDICT('m', PREDICT('m', a), (SELECT max(b) FROM u)) FROM t", 'call')).toBe(
      "SELECT ib_batch_call(0, 'm', ib_batch_call(0, 'm', a), (SELECT max(b) FROM u)) FROM t",
    );
  });

  it('declines PREDICT_JSON and calls without arguments; a statement that does not parse has no calls', () => {
    expect(rewrite("SELECT PREDICT_JSON('m', j) FROM t", 'call')).toBeNull();
    expect(rewrite('SELECT PREDICT( ) FROM t', 'call')).toBeNull();
    expect(predictSyntax("SELECT PREDICT('m, a) FROM t")).toBeUndefined();
  });
});

describe('predictModelNames', () => {
  it('names the models of string-literal first arguments, with or without a version, once each', () => {
    expect(
      predictModelNames(
        "SELECT PREDICT('iris', a), predict_proba('iris@2', b), PREDICT_JSON('adult', j), PREDICT(m, c) FROM t",
      ),
    ).toEqual(['iris', 'adult']);
  });

  it('ignores names in strings, comments and other functions', () => {
    expect(
      predictModelNames("SELECT 'PREDICT(''x'', a)', my_predict('y') /* PREDICT('z') */ FROM t"),
    ).toEqual([]);
  });
});

describe('deferredColumns', () => {
  const cols = (...names: (string | [string, string])[]) =>
    names.map((n) => (typeof n === 'string' ? { name: n, table: null } : { name: n[0], table: n[1] }));
  const deferred = (sql: string, columns: { name: string; table: string | null }[]) =>
    deferredColumns(predictSyntax(sql)!, columns);

  it('defers bare PREDICT result columns, matched across a * from the nearer end', () => {
    expect(deferred("SELECT a, PREDICT('m', a) FROM t", cols('a', "PREDICT('m', a)"))).toEqual([1]);
    expect(
      deferred("SELECT *, PREDICT('m', a) AS p FROM t WHERE a > 1", cols(['a', 't'], ['b', 't'], 'p')),
    ).toEqual([2]);
  });

  it('does not defer when a value could shape the rows or be read by name', () => {
    const one = cols('p');
    expect(deferred("SELECT PREDICT('m', a) AS p FROM t ORDER BY p", one)).toBeNull();
    expect(deferred("SELECT DISTINCT PREDICT('m', a) AS p FROM t", one)).toBeNull();
    expect(deferred("SELECT PREDICT('m', a) AS p FROM t WHERE p > 0", one)).toBeNull();
    expect(deferred("SELECT PREDICT('m', a) + 1 AS p FROM t", one)).toBeNull();
    expect(deferred("SELECT PREDICT('m', a) AS p FROM t WHERE PREDICT('m', b) > 0", one)).toBeNull();
    expect(deferred("SELECT a, *, PREDICT('m', a) AS p, * FROM t", cols('a', 'x', 'p', 'x'))).toBeNull();
  });
});
