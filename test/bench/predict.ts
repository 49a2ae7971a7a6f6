/**
 * PREDICT throughput: 1,000,000 rows × 8 float features scored by a logistic-regression ONNX model.
 * (a) batched PREDICT in SQL, (b) a trivial JS SQL function over the same query (SQLite's function-call
 * limit), (c) onnxruntime's own batch throughput, (d) per-row PREDICT, (e) an HTTP scoring microservice on
 * loopback called once per row. Writes the PREDICT section of docs/benchmarks.md.
 *
 * Run: npx tsc -p . && node dist/test/bench/predict.js
 */
import { spawn } from 'node:child_process';
import { Agent, createServer, request } from 'node:http';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Database } from 'better-sqlite3';
import { executeStatement, openDatabase, seededRandom } from '../../engine/index.js';
import {
  createSession,
  importModel,
  mlExtension,
  predictBatching,
  setNativeBatching,
  syncModels,
} from '../../ml/index.js';
import { logisticRegressionModel } from '../ml/onnx/build-models.js';
import { machineLine, writeSection } from './metrics-report.js';

const ROWS = 1_000_000;
const LOAD_AT_START = loadavg()[0];
const PER_ROW_SAMPLE = 100_000;
const HTTP_SAMPLE = 20_000;
const HTTP_CONCURRENCY = 8;
const WEIGHTS = [0.8, -1.2, 0.5, 0.3, -0.7, 1.1, -0.4, 0.2];
const F = 'f1, f2, f3, f4, f5, f6, f7, f8';
const MODEL = logisticRegressionModel(WEIGHTS, -0.1);

if (process.argv[2] === '--serve') serve();
else await main();

/** The scoring microservice: POST a JSON array of 8 features, get {"probability": p}. */
function serve(): void {
  const session = createSession(MODEL);
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const x = new Float32Array(JSON.parse(body) as number[]);
      const out = session.runSync({ x: { dtype: 'float32', dims: [1, 8], data: x } }, ['probability']);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ probability: out.probability.data[0] }));
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    process.stdout.write(`${typeof addr === 'object' && addr ? addr.port : 0}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

function best(times: number, run: () => void): number {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    run();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

/** Best times of two runs measured alternately (a, b, a, b, …). */
function bestPair(times: number, a: () => void, b: () => void): [number, number] {
  let bestA = Number.POSITIVE_INFINITY;
  let bestB = Number.POSITIVE_INFINITY;
  for (let i = 0; i < times; i++) {
    bestA = Math.min(bestA, best(1, a));
    bestB = Math.min(bestB, best(1, b));
  }
  return [bestA, bestB];
}

function rate(rows: number, ms: number): number {
  return Math.round(rows / (ms / 1000));
}

/** An in-memory database holding t(id, f1…f8) with the model 'lr', PREDICT batching natively or in JS. */
function setup(batching: 'native' | 'javascript'): Database {
  setNativeBatching(batching === 'native');
  const db = openDatabase(':memory:', { migrate: true, extensions: [mlExtension] });
  setNativeBatching(true);
  if (predictBatching(db) !== batching)
    throw new Error(`PREDICT batching is not ${batching}: run npm run build`);
  importModel(db, { name: 'lr', bytes: MODEL });
  db.exec(
    'CREATE TABLE t (id INTEGER PRIMARY KEY, f1 REAL, f2 REAL, f3 REAL, f4 REAL, f5 REAL, f6 REAL, f7 REAL, f8 REAL)',
  );
  const random = seededRandom(42);
  const insert = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) insert.run(i, ...Array.from({ length: 8 }, () => random() * 4 - 2));
  })();
  return db;
}

async function main(): Promise<void> {
  const db = setup('native');
  db.function('trivial', { varargs: true, deterministic: false }, (_m: unknown, f1: unknown) => f1 as number);
  const exec = (sql: string, ext = true, on = db) =>
    executeStatement(on, { sql, params: [] }, { extensions: ext ? [mlExtension] : [] });

  const results: Array<[string, string, number]> = [];
  const measure = (label: string, query: string, rows: number, ms: number) => {
    results.push([label, query, rate(rows, ms)]);
    console.log(label, rate(rows, ms).toLocaleString('en-US'), 'rows/s');
  };

  // Rows returned to JS (what a client gets) and aggregated inside SQLite (what the SQL layer costs).
  const full = `SELECT PREDICT_PROBA('lr', ${F}) FROM t`;
  const agg = `SELECT sum(PREDICT_PROBA('lr', ${F})) FROM t`;
  const check = exec(full).rows;
  if (check.length !== ROWS || check.some(([p]) => typeof p !== 'number')) throw new Error('bad result');
  const trivialFull = full.replace("PREDICT_PROBA('lr'", "trivial('lr'");
  const trivialAgg = agg.replace("PREDICT_PROBA('lr'", "trivial('lr'");
  // (a) and (b) alternate so both see the same machine load; best of 5 each.
  const [aFull, bFull] = bestPair(
    5,
    () => exec(full),
    () => exec(trivialFull, false),
  );
  measure('(a) batched PREDICT, 1M rows returned', full, ROWS, aFull);
  measure('(b) trivial JS function, 1M rows returned', trivialFull, ROWS, bFull);
  const [aAgg, bAgg] = bestPair(
    5,
    () => exec(agg),
    () => exec(trivialAgg, false),
  );
  measure('(a) batched PREDICT, aggregated in SQL (two passes)', agg, ROWS, aAgg);
  measure('(b) trivial JS function, aggregated in SQL', trivialAgg, ROWS, bAgg);
  const where = `SELECT count(*) FROM t WHERE PREDICT_PROBA('lr', ${F}) > 0.5`;
  measure(
    '(a) batched PREDICT in WHERE (two passes)',
    where,
    ROWS,
    best(3, () => exec(where)),
  );

  // The same three statements with the native extension off: what PREDICT does where it was not built.
  const js = setup('javascript');
  for (const [label, sql] of [
    ['1M rows returned', full],
    ['aggregated in SQL (two passes)', agg],
    ['in WHERE (two passes)', where],
  ]) {
    measure(
      `(a, JS) batched PREDICT without the native extension, ${label}`,
      sql,
      ROWS,
      best(3, () => exec(sql, true, js)),
    );
  }
  js.close();

  // (c) onnxruntime alone on the same rows, already in a Float32Array, chunks of 65,536.
  const features = new Float32Array(ROWS * 8);
  const all = db.prepare(`SELECT ${F} FROM t`).raw().all() as number[][];
  all.forEach((r, i) => {
    features.set(r, i * 8);
  });
  const session = createSession(MODEL);
  const chunk = 65_536;
  const ortMs = best(3, () => {
    for (let s = 0; s < ROWS; s += chunk) {
      const n = Math.min(chunk, ROWS - s);
      session.runSync(
        { x: { dtype: 'float32', dims: [n, 8], data: features.subarray(s * 8, (s + n) * 8) } },
        ['probability'],
      );
    }
  });
  measure('(c) onnxruntime batch run (65,536 rows per call)', '-', ROWS, ortMs);

  // (d) per-row: the statement prepared directly, so every call runs the model on one row.
  const sample = `SELECT PREDICT_PROBA('lr', ${F}) FROM t LIMIT ${PER_ROW_SAMPLE}`;
  syncModels(db, sample);
  measure(
    `(d) per-row PREDICT (${PER_ROW_SAMPLE.toLocaleString('en-US')} rows)`,
    sample,
    PER_ROW_SAMPLE,
    best(2, () => db.prepare(sample).raw().all()),
  );

  // (e) one HTTP request per row to a scoring service in another process on loopback.
  const httpRate = await httpBaseline(all.slice(0, HTTP_SAMPLE));
  results.push([
    `(e) HTTP microservice, 1 request per row (${HTTP_SAMPLE.toLocaleString('en-US')} rows, ${HTTP_CONCURRENCY} in flight)`,
    '-',
    httpRate,
  ]);
  console.log('(e)', httpRate);
  db.close();
  report(results);
}

async function httpBaseline(rows: number[][]): Promise<number> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (d) => resolve(Number(String(d).trim())));
      child.once('exit', (code) => reject(new Error(`scoring service exited with ${code}`)));
    });
    const agent = new Agent({ keepAlive: true, maxSockets: HTTP_CONCURRENCY });
    const score = (row: number[]) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/score',
            agent,
            headers: { 'content-type': 'application/json' },
          },
          (res) => {
            let body = '';
            res.on('data', (c) => {
              body += c;
            });
            res.on('end', () => resolve(JSON.parse(body).probability));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(row));
      });
    let next = 0;
    const t = performance.now();
    await Promise.all(
      Array.from({ length: HTTP_CONCURRENCY }, async () => {
        while (next < rows.length) await score(rows[next++]);
      }),
    );
    const ms = performance.now() - t;
    agent.destroy();
    return rate(rows.length, ms);
  } finally {
    child.kill('SIGTERM');
  }
}

function report(results: Array<[string, string, number]>): void {
  const find = (prefix: string) => results.find((r) => r[0].startsWith(prefix))![2];
  const a = find('(a) batched PREDICT, 1M');
  const b = find('(b) trivial JS function, 1M');
  const aAgg = find('(a) batched PREDICT, aggregated');
  const bAgg = find('(b) trivial JS function, aggregated');
  writeSection(
    'predict',
    `
## PREDICT (ONNX scoring inside SQL)

${machineLine()} 1-minute load average at start ${LOAD_AT_START.toFixed(1)}.
Produced by \`node dist/test/bench/predict.js\`. Data: ${ROWS.toLocaleString('en-US')} rows × 8 float features
(seeded uniform in [-2, 2]) in an in-memory table; model: logistic regression built with onnx-proto
(MatMul, Add, Sigmoid; opset 13), scored with onnxruntime-node 1.30.0 on one thread. Best of 3 runs
(a and b alternate, best of 5 each; per-row: best of 2), through \`executeStatement\` as user SQL runs.

| what | rows/s |
|---|---|
${results.map(([label, , r]) => `| ${label} | ${r.toLocaleString('en-US')} |`).join('\n')}

(a)/(b) with the rows returned to JS: ${(a / b).toFixed(2)}; aggregated inside SQL: ${(aAgg / bAgg).toFixed(2)}
(the target is (a) ≥ 1,000,000 rows/s and ≥ 0.5, i.e. within 2x of (b)). PREDICT batches in a small SQLite
extension written in C (ml/predict/native/batch.c, built by \`npm run build\`): the statement's PREDICT calls are
rewritten to its functions, so no feature crosses into JavaScript row by row; (b) pays that crossing (9
arguments converted per call), which is why (a) can beat it. \`SELECT PREDICT(...) FROM t\`, whose calls are
bare result columns, runs once: each call records its features and returns a placeholder, one onnxruntime run
per (function, model) follows, and the placeholders are replaced. Statements where a PREDICT value can steer the
query (WHERE, ORDER BY, aggregates, expressions) run in passes in one read transaction: a collect pass wrapped as
\`WITH … AS MATERIALIZED (…) SELECT count(*)\` so no row reaches JS, one run per stream, then the real pass
answered from the batch (calls first reached in that pass are collected and the pass repeated). Single-column
results are read with better-sqlite3's \`pluck\` and wrapped in JS (engine/query.ts), ~3x faster than raw
arrays for both (a) and (b). The "(a, JS)" rows are the same statements with the extension off
(\`predict.nativeBatching: false\`, or no C compiler at install): batching then runs in JavaScript functions. (d) and (e)
show what batching and in-database scoring replace.
`,
  );
}
