/**
 * What the connection guard costs a SQL request: throughput and p99 latency through the SQL worker pool with
 * the guarded worker (authorizer at prepare, run mode, connection check after each answer) versus the worker as
 * it was before (sql-guard-worker.ts), requests alternating between the two. Target: under 5%. Run: `npm run build && node dist/test/bench/sql-guard.js`.
 * Writes its section of docs/benchmarks.md.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { userSqlPool } from '../../control-plane/modules/index.js';
import {
  ConnectionGuard,
  ConnectionState,
  compiledPath,
  executeStatement,
  openDatabase,
} from '../../engine/index.js';
import { tempDir } from '../support/tmp.js';
import { machineLine, writeSection } from './metrics-report.js';

const RUN_MS = 20_000;
/** Statements per slice of the in-process comparison. */
const SLICE = 100;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const WORKERS = 2;

const tmp = tempDir('infrabase-bench-guard-');
const dbPath = `${tmp.dir}/infrabase.db`;
const db = openDatabase(dbPath, { migrate: true });
db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, customer INTEGER, amount REAL)');
db.transaction(() => {
  const ins = db.prepare('INSERT INTO orders (customer, amount) VALUES (?, ?)');
  for (let i = 0; i < 100_000; i++) ins.run(i % 1000, (i * 7919) % 1000);
})();
db.exec('CREATE INDEX orders_customer ON orders(customer)');
db.close();

/** Latencies of one pool, ms. */
type Latencies = number[];

/**
 * One client for RUN_MS alternating request by request between the unguarded and the guarded pool, so that both
 * see the same machine load (this machine is shared: whole-run comparisons swing by 2x). 9 point-aggregate
 * reads with the read role to 1 admin INSERT.
 */
async function measure(): Promise<{ before: Latencies; after: Latencies }> {
  const common = { dbPath, size: WORKERS, defaultTimeoutMs: 10_000, maxTimeoutMs: 10_000 };
  const unguarded = userSqlPool({
    ...common,
    workerScript: compiledPath(import.meta.url, './sql-guard-worker.js'),
  });
  const guarded = userSqlPool(common);
  await Promise.all([unguarded.start(), guarded.start()]);
  const before: Latencies = [];
  const after: Latencies = [];
  const end = performance.now() + RUN_MS;
  for (let i = 0; performance.now() < end; i++) {
    const k = Math.floor(i / 2);
    const [pool, into] = i % 2 === 0 ? [unguarded, before] : [guarded, after];
    const started = performance.now();
    if (k % 10 === 9) {
      await pool.execute({
        sql: 'INSERT INTO orders (customer, amount) VALUES (?, ?)',
        params: [k % 1000, 1],
      });
    } else {
      await pool.execute({
        sql: 'SELECT count(*), sum(amount) FROM orders WHERE customer = ?',
        params: [k % 1000],
        readOnly: true,
      });
    }
    if (k >= 1000) into.push(performance.now() - started); // the first 1000 of each warm up
  }
  await Promise.all([unguarded.close(), guarded.close()]);
  return { before, after };
}

/** CPU time of this process so far (user + system), µs: unlike wall time, not inflated by the machine's load. */
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/**
 * The guard's own cost in one process, without IPC: the same point read through executeStatement with one
 * prepare and no guard, versus guarded plus the after-answer check, alternating in slices of 200 statements.
 */
function inProcess(): { plainUs: number; guardedUs: number } {
  const conn = openDatabase(dbPath);
  const guard = ConnectionGuard.load(conn);
  const state = ConnectionState.capture(conn);
  const read = (i: number) => ({
    sql: 'SELECT count(*), sum(amount) FROM orders WHERE customer = ?',
    params: [i % 1000],
  });
  const plain: number[] = [];
  const guarded: number[] = [];
  for (let slice = 0; slice < 300; slice++) {
    let t = cpuUs();
    for (let i = 0; i < SLICE; i++) executeStatement(conn, read(i), { readOnly: true });
    if (slice >= 20) plain.push((cpuUs() - t) / SLICE);
    t = cpuUs();
    for (let i = 0; i < SLICE; i++) {
      executeStatement(conn, read(i), { readOnly: true, guard });
      state.drift(guard.takeTouched());
    }
    if (slice >= 20) guarded.push((cpuUs() - t) / SLICE);
  }
  conn.close();
  // The median slice: slices that another process's work spilled into (cache, frequency) fall to the tail.
  return { plainUs: median(plain), guardedUs: median(guarded) };
}

const { before, after } = await measure();
const alone = inProcess();
tmp.cleanup();

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const p99Of = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length * 0.99) - 1];
const tput = { before: 1000 / mean(before), after: 1000 / mean(after) };
const p99 = { before: p99Of(before), after: p99Of(after) };
const med = { before: median(before), after: median(after) };
const pct = (x: number) => `${x >= 0 ? '' : '-'}${Math.abs(x * 100).toFixed(1)}%`;
const signed = (x: number) => `${x >= 0 ? '+' : '-'}${Math.abs(x).toFixed(1)}`;
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const load = loadavg()
  .map((l) => l.toFixed(1))
  .join(', ');
writeSection(
  'sql-guard',
  `
## SQL requests with the connection guard versus without

${machineLine()} Load average while measuring: ${load}.
\`node dist/test/bench/sql-guard.js\`: one client for ${RUN_MS / 1000} s alternating request by request between two SQL
worker pools on the same database (${WORKERS} workers each, no HTTP: the guard's share of a whole request is smaller
still), so both see the same machine load; 9 indexed point-aggregate reads with the read role to 1 admin INSERT
over a 100,000-row table (${fmt(before.length)} + ${fmt(after.length)} requests measured after a warm-up).
"Without" is the worker as it was before the guard (test/bench/sql-guard-worker.ts), which prepared each
statement a second time for its kind. "With": the authorizer judges the prepare, the statement runs in the
guard's run mode, and after each answer the connection's transaction state and configured PRAGMAs are compared
(every setting after a statement that reached a PRAGMA or another connection-level action). Target: under 5%.

| one client | without guard | with guard | cost |
|---|---:|---:|---:|
| requests/s (1 / mean latency) | ${fmt(tput.before)} | ${fmt(tput.after)} | ${pct(1 - tput.after / tput.before)} |
| median latency | ${med.before.toFixed(3)} ms | ${med.after.toFixed(3)} ms | ${pct(med.after / med.before - 1)} |
| p99 latency | ${p99.before.toFixed(2)} ms | ${p99.after.toFixed(2)} ms | ${pct(p99.after / p99.before - 1)} |

The guard's own cost, in one process without IPC (the same read through \`executeStatement\` with a single prepare,
versus guarded plus the after-answer check, alternating in 280 measured slices of ${SLICE}; median CPU time per
statement, which the machine's load inflates less than wall time): ${alone.plainUs.toFixed(1)} µs versus
${alone.guardedUs.toFixed(1)} µs, ${signed(alone.guardedUs - alone.plainUs)} µs (${pct(alone.guardedUs / alone.plainUs - 1)} of a bare in-process
point read; the guard adds about ten statement steps: four mode switches, one report and six PRAGMA reads).
That is ${pct((alone.guardedUs - alone.plainUs) / 1000 / med.after)} of the median pooled request above; through the pool it is outweighed by the
second prepare the old worker did. The mean-based requests/s swing most between runs (a few stalls of the shared
machine dominate a mean); the median is the steadier figure.

Cost below the run-to-run noise of a shared machine shows up as a small or negative figure.
`,
);
process.stdout.write(
  `requests/s ${fmt(tput.before)} -> ${fmt(tput.after)}; median ${med.before.toFixed(3)} -> ${med.after.toFixed(3)} ms; p99 ${p99.before.toFixed(2)} -> ${p99.after.toFixed(2)} ms\n`,
);
