/**
 * Transactions/s and latency percentiles of the same statements over the Postgres protocol (node-postgres,
 * extended protocol over TLS) and over the HTTP API (`POST /v1/sql`, keep-alive), in one run against one
 * control plane. Run: `npm run build && node dist/test/bench/postgres-vs-http.js`. Writes its section of
 * docs/benchmarks.md.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { loadConfig, startControlPlane } from '../../control-plane/index.js';
import { createLogger } from '../../control-plane/logger.js';
import { tempDir } from '../support/tmp.js';
import { machineLine, writeSection } from './metrics-report.js';

const CLIENTS = 8;
/** Transactions per client per measured round. */
const PER_CLIENT = { read: 500, write: 150 };
const ROUNDS = 2;

const tmp = tempDir('infrabase-bench-pg-');
const config = loadConfig({ env: {}, flags: { dataDir: tmp.dir, port: 0, log: { level: 'silent' } } });
const cp = await startControlPlane(config, { logger: createLogger('silent'), modules: [] });
const pgEndpoint = cp.postgres!;

interface Transport {
  readonly name: string;
  /** Runs one statement with its `$1`… parameters. */
  open(): Promise<{ run(sql: string, params: unknown[]): Promise<void>; close(): Promise<void> }>;
}

const postgres: Transport = {
  name: 'Postgres protocol (node-postgres, TLS)',
  async open() {
    const client = new pg.Client({
      host: pgEndpoint.host,
      port: pgEndpoint.port,
      user: 'admin',
      password: cp.tokens.admin,
      database: 'infrabase',
      ssl: { rejectUnauthorized: false },
    });
    await client.connect();
    return {
      run: async (sql, params) => {
        await client.query(sql, params);
      },
      close: () => client.end(),
    };
  },
};

const http: Transport = {
  name: 'HTTP API (POST /v1/sql, keep-alive)',
  async open() {
    const url = new URL('/v1/sql', cp.url);
    return {
      run: async (sql, params) => {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${cp.tokens.admin}` },
          // `$1` is a named parameter to SQLite: the API takes it as the object key "1".
          body: JSON.stringify({ sql, params: Object.fromEntries(params.map((v, i) => [String(i + 1), v])) }),
        });
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      },
      close: async () => undefined,
    };
  },
};

/** The same statements for both: `$1` binds the first parameter in SQLite over either transport. */
const WORKLOADS = {
  read: [{ sql: 'SELECT id, v FROM bench_kv WHERE id = $1', params: (i: number) => [i % 5000] }],
  write: [
    { sql: "INSERT INTO bench_kv (id, v) VALUES ($1, 'bench')", params: (i: number) => [100_000 + i] },
    { sql: 'SELECT count(*) FROM bench_kv WHERE id = $1', params: (i: number) => [100_000 + i] },
  ],
} as const;

async function measure(transport: Transport, workload: keyof typeof WORKLOADS) {
  const sessions = await Promise.all(Array.from({ length: CLIENTS }, () => transport.open()));
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    sessions.map(async (s) => {
      for (let k = 0; k < PER_CLIENT[workload]; k++) {
        const i = next++;
        const t0 = performance.now();
        for (const step of WORKLOADS[workload]) await s.run(step.sql, step.params(i));
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(sessions.map((s) => s.close()));
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { tps: latencies.length / seconds, p50: at(0.5), p99: at(0.99), n: latencies.length };
}

const setup = await postgres.open();
await setup.run('CREATE TABLE bench_kv (id INTEGER, v TEXT)', []);
await setup.run('CREATE INDEX bench_kv_id ON bench_kv (id)', []);
await setup.run(
  "INSERT INTO bench_kv WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 4999) SELECT i, 'seed' FROM s",
  [],
);
await setup.close();

const results: { workload: string; transport: string; tps: number; p50: number; p99: number; n: number }[] =
  [];
for (const workload of ['read', 'write'] as const) {
  for (const transport of [postgres, http]) await measure(transport, workload); // warm-up
  const rounds: Record<string, Awaited<ReturnType<typeof measure>>[]> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const transport of [postgres, http]) {
      const m = await measure(transport, workload);
      rounds[transport.name] = [...(rounds[transport.name] ?? []), m];
      console.log(workload, transport.name, m);
    }
  }
  for (const [name, ms] of Object.entries(rounds)) {
    const best = ms.reduce((a, b) => (b.tps > a.tps ? b : a));
    results.push({ workload, transport: name, ...best });
  }
}
const load = loadavg()
  .map((l) => l.toFixed(1))
  .join(', ');
await cp.stop();
tmp.cleanup();

const fmt = (x: number, d = 0) =>
  x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const row = (r: (typeof results)[number]) =>
  `| ${r.workload === 'read' ? 'indexed point SELECT' : 'INSERT + SELECT'} | ${r.transport} | ${fmt(r.tps)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} |`;
const ratio = (workload: string) => {
  const [p, h] = [
    results.find((r) => r.workload === workload && r.transport === postgres.name)!,
    results.find((r) => r.workload === workload && r.transport === http.name)!,
  ];
  return `${fmt(p.tps / h.tps, 2)}×`;
};

writeSection(
  'postgres-vs-http',
  `## Postgres protocol versus HTTP API, same statements

${machineLine()} Load average at the end: ${load}.
\`node dist/test/bench/postgres-vs-http.js\`: one control plane (2 SQL workers, \`synchronous=FULL\`), ${CLIENTS} concurrent
clients per transport, each running its transactions back to back: node-postgres over TLS (extended protocol,
\`$1\` parameters) against keep-alive \`fetch\` to \`POST /v1/sql\` with the same SQL and parameters. A transaction
is one indexed point SELECT on a 5,000-row table (${PER_CLIENT.read} per client), or an INSERT then a SELECT
(${PER_CLIENT.write} per client, each INSERT a durable commit). Transports alternate; best of ${ROUNDS} rounds after a warm-up.
Latency is per transaction, client side, ms. The clients run in the control plane's own process (as in the
other API benchmarks), so their CPU competes with the server's on the 2 cores.

| transaction | transport | transactions/s | p50 ms | p99 ms |
|---|---|---:|---:|---:|
${results.map(row).join('\n')}

Postgres / HTTP throughput: ${ratio('read')} for point SELECTs, ${ratio('write')} for INSERT + SELECT. Both paths end in
the same SQL worker pool; the difference is the protocol and its framing (one TCP message per statement over
Postgres against an HTTP request with JSON over the API). \`pgbench\` over the same endpoint (custom INSERT +
SELECT script, 8 clients, simple protocol) is run as a test (\`test/control-plane/postgres/pgbench.test.ts\`):
10,000 transactions at about 300/s here. On this shared machine the figures move by tens of percent from run
to run with the load (above); compare the two transports within one run.`,
);
