import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import { NodeTokens } from '../../../autoinfra/index.js';
import { HttpPlacementTransport, type ShardsQueryReply } from '../../../control-plane/tables/index.js';
import { AgentClient } from '../../../control-plane/training/index.js';
import { compiledPath, type Database, seededRandom } from '../../../engine/index.js';
import { ADULT_CSV, readDataFile } from '../../support/data.js';
import { stopLocalAgents } from '../../support/local-agents.js';
import { processesNaming } from '../../support/processes.js';
import { tempDir, waitFor } from '../../support/tmp.js';

/**
 * The real-process chaos run of distributed tables (docs/distributed-tables.md; issue 14's acceptance): a
 * control plane child process, 4 local data agents, Adult loaded at replication factor 2 with an `id` shard key,
 * a writer inserting and updating rows over `POST /v1/sql` and recording every acknowledged change in an oracle
 * (an in-memory SQLite database), and a seeded driver that, in `cycles` cycles, DELETEs a data node, INSERTs
 * one, SIGKILLs an agent (the reconciler relaunches it; its shards re-replicate meanwhile) or SIGKILLs the
 * control plane and starts it again on the same data dir. Then, once settled: every acknowledged row present
 * exactly once with its last acknowledged value (count and checksum against the oracle), every placement of a
 * shard with the same checksum, no shard under-replicated, no orphaned placement. The test runs it reduced
 * (rows, waits), the benchmark at full size: the same code. A failure names the seed and the step.
 */
export interface ChaosOptions {
  readonly seed: number;
  /** Driver cycles (each one action). */
  readonly cycles: number;
  /** Adult rows loaded before the chaos starts (at most 32,561). */
  readonly rows: number;
  /** Shards of the table. */
  readonly shards: number;
  /** Longest random pause after an action, ms. */
  readonly maxWaitMs: number;
  /** Time allowed for the cluster to settle at the end, ms. */
  readonly settleMs?: number;
  /** Progress lines (the step log). */
  readonly log?: (line: string) => void;
}

export interface ChaosResult {
  readonly seed: number;
  readonly cycles: number;
  readonly actions: Record<Action, number>;
  readonly rowsLoaded: number;
  readonly finalRows: number;
  readonly acknowledged: { inserts: number; updates: number };
  /** Writes whose outcome was unknown (an error answer); resolved by an acknowledged DELETE at the end. */
  readonly unknown: number;
  /** Writes refused before reaching the control plane (connection refused while it was down). */
  readonly refused: number;
  /** The unknown outcomes' errors, by their first words, with counts. */
  readonly errors: Record<string, number>;
  readonly movesDone: number;
  readonly movesFailed: number;
  readonly placements: number;
  readonly seconds: number;
  readonly steps: readonly string[];
}

type Action = 'delete-node' | 'insert-node' | 'kill-agent' | 'kill-control-plane';
const ACTIONS: readonly Action[] = ['delete-node', 'insert-node', 'kill-agent', 'kill-control-plane'];

const CHILD = compiledPath(import.meta.url, './chaos-control-plane.js');
const HOURS = 'hours-per-week';

/** A free loopback port (the control plane restarts on the same one, so the agents keep reaching it). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Outcome of one request: its answer, `refused` (never reached the control plane) or `unknown`. */
type Outcome<T> = { ok: true; body: T } | { ok: false; refused: boolean; error: string };

class ChaosCluster {
  child?: ChildProcess;
  url = '';
  admin = '';
  db?: Database;
  transport?: HttpPlacementTransport;
  private stderr = '';

  constructor(
    readonly dataDir: string,
    readonly port: number,
  ) {}

  get dbPath(): string {
    return join(this.dataDir, 'infrabase.db');
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [CHILD, this.dataDir, String(this.port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    this.child = child;
    child.stderr!.on('data', (c: Buffer) => {
      this.stderr = (this.stderr + c.toString()).slice(-4000);
      // The control plane's log at CHAOS_LOG_LEVEL, kept beside its data (CHAOS_KEEP keeps the dir).
      if (process.env.CHAOS_LOG_LEVEL) appendFileSync(join(this.dataDir, 'control-plane.log'), c);
    });

    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const banner = out.split('\n').find((l) => l.startsWith('{"url":'));
        if (banner) resolve(banner);
      });
      child.once('exit', (code) =>
        reject(new Error(`control plane exited with ${code}: ${this.stderr.slice(-1500)}`)),
      );
    });
    const { url, admin } = JSON.parse(line) as { url: string; admin: string };
    this.url = url;
    this.admin = admin;
    if (!this.db) {
      this.db = new BetterSqlite3(this.dbPath, { readonly: true, fileMustExist: true });
      this.db.pragma('busy_timeout = 5000');
      this.transport = new HttpPlacementTransport(
        this.db,
        new AgentClient(NodeTokens.fromDataDir(this.dataDir)),
        10_000,
      );
    }
  }

  /** SIGKILLs the control plane and the SQL workers it started (they name its database). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise((r) => {
      if (child.exitCode !== null || child.signalCode !== null) r(undefined);
      else child.once('exit', r);
    });
    child.kill('SIGKILL');
    await exited;
    for (const pid of processesNaming(this.dbPath)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    this.child = undefined;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    this.child = undefined;
    this.db?.close();
    this.db = undefined;
  }

  async call<T>(path: string, body: unknown, timeoutMs = 60_000): Promise<Outcome<T>> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.admin}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code;
      return { ok: false, refused: code === 'ECONNREFUSED', error: String((err as Error).message) };
    }
    const text = await res.text().catch(() => '');
    // Answered by the bound port before any route exists (control-plane/server/bind.ts): nothing ran.
    const starting = res.status === 503 && text.includes('the control plane is starting');
    if (!res.ok) return { ok: false, refused: starting, error: `HTTP ${res.status}: ${text.slice(0, 300)}` };
    return { ok: true, body: JSON.parse(text) as T };
  }

  /** `POST /v1/sql`, retried while the control plane is restarting; throws on an error answer. */
  async sql(sql: string, params: unknown[] = []): Promise<{ rows: unknown[][]; changes?: number }> {
    for (let attempt = 0; ; attempt++) {
      const r = await this.call<{ rows: unknown[][]; changes?: number }>('/v1/sql', { sql, params });
      if (r.ok) return r.body;
      if (!r.refused || attempt > 100) throw new Error(`${sql}: ${r.error}`);
      await pause(200);
    }
  }

  q<T>(sql: string, ...params: unknown[]): T[] {
    return this.db!.prepare(sql).all(...params) as T[];
  }

  one(sql: string, ...params: unknown[]): unknown {
    return this.db!.prepare(sql)
      .pluck()
      .get(...params);
  }

  agentPid(node: string): number | undefined {
    const file = join(this.dataDir, 'nodes', node, 'agent.pid');
    if (!existsSync(file)) return undefined;
    try {
      return (JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid;
    } catch {
      return undefined;
    }
  }
}

/** One row's expectation while its last write's outcome is unknown. */
interface Uncertain {
  readonly values: Set<number>;
  readonly mayBeAbsent: boolean;
}

/** The rows of Adult used: `id` (the shard key) then every column of the CSV. */
function adultRows(n: number): { header: string[]; numeric: boolean[]; rows: unknown[][] } {
  const records = parse(readDataFile(ADULT_CSV), { ltrim: true }) as string[][];
  const header = records[0].map((h) => h.trim());
  const numeric = header.map((_, j) => records.slice(1, 200).every((r) => Number.isFinite(Number(r[j]))));
  const rows = records
    .slice(1, 1 + n)
    .map((r, i) => [i + 1, ...r.map((v, j) => (numeric[j] ? Number(v) : v))]);
  return { header, numeric, rows };
}

const checksumOf = (rows: readonly unknown[][]) => {
  const h = createHash('sha256');
  for (const r of [...rows].sort((a, b) => Number(a[0]) - Number(b[0]))) h.update(`${JSON.stringify(r)}\n`);
  return h.digest('hex');
};

/**
 * Runs the chaos described at the top of this file. @returns what happened. @throws Error naming the seed and
 * the last driver step when a check fails (the cluster is stopped and its data dir removed either way).
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const rnd = seededRandom(options.seed);
  const tmp = tempDir('infrabase-chaos-');
  const cluster = new ChaosCluster(tmp.dir, await freePort());
  const steps: string[] = [];
  const step = (s: string) => {
    steps.push(s);
    log(`[seed ${options.seed}] ${s}`);
  };
  const actions: Record<Action, number> = {
    'delete-node': 0,
    'insert-node': 0,
    'kill-agent': 0,
    'kill-control-plane': 0,
  };
  const acknowledged = { inserts: 0, updates: 0 };
  let unknown = 0;
  let refused = 0;
  const errors: Record<string, number> = {};
  const noteError = (e: string) => {
    const k = e.replace(/\d+/g, 'N').slice(0, 120);
    errors[k] = (errors[k] ?? 0) + 1;
  };
  try {
    await cluster.start();
    const { header, numeric, rows } = adultRows(options.rows);
    let nextNode = 1;
    for (let i = 0; i < 4; i++)
      await cluster.sql("INSERT INTO sys_nodes (id, role) VALUES (?, 'data')", [`d${nextNode++}`]);
    await waitFor(
      () => cluster.one("SELECT count(*) FROM sys_nodes WHERE status = 'ready'") === 4,
      60_000,
      100,
    );
    step('4 data nodes ready');
    const columns = [
      { name: 'id', type: 'INTEGER' },
      ...header.map((name, j) => ({ name, type: numeric[j] ? 'INTEGER' : 'TEXT' })),
    ];
    await cluster.sql(
      "INSERT INTO sys_distributed_tables (name, columns, shard_key, shard_count, replication_factor) VALUES ('adult', ?, 'id', ?, 2)",
      [JSON.stringify(columns), options.shards],
    );
    await waitFor(
      () =>
        cluster.one("SELECT schema_applied FROM sys_distributed_tables WHERE name = 'adult'") === 1 &&
        cluster.one("SELECT count(*) FROM sys_shard_status WHERE status <> 'available'") === 0,
      60_000,
      100,
    );
    // The oracle: every acknowledged row as (id, age, education, hours-per-week).
    const oracle = new BetterSqlite3(':memory:');
    oracle.exec('CREATE TABLE adult (id INTEGER PRIMARY KEY, age INTEGER, education TEXT, hours INTEGER)');
    const put = oracle.prepare('INSERT OR REPLACE INTO adult VALUES (?, ?, ?, ?)');
    const setHours = oracle.prepare('UPDATE adult SET hours = ? WHERE id = ?');
    const ageAt = header.indexOf('age') + 1;
    const eduAt = header.indexOf('education') + 1;
    const hoursAt = header.indexOf(HOURS) + 1;
    for (let i = 0; i < rows.length; i += 1000) {
      const batch = rows.slice(i, i + 1000);
      const r = await cluster.call<{ rows: number }>('/v1/tables/adult/insert', {
        columns: ['id', ...header],
        rows: batch,
      });
      if (!r.ok || r.body.rows !== batch.length) throw new Error(`loading rows ${i}..: ${JSON.stringify(r)}`);
      oracle.transaction(() => {
        for (const x of batch) put.run(x[0], x[ageAt], x[eduAt], x[hoursAt]);
      })();
    }
    step(`loaded ${rows.length} rows of Adult at replication factor 2 over ${options.shards} shards`);

    // The writer: inserts new ids and updates known ones over POST /v1/sql until told to stop.
    const uncertain = new Map<number, Uncertain>();
    let nextId = rows.length + 1;
    let writing = true;
    const writer = (async () => {
      const wrnd = seededRandom(options.seed * 7919 + 1);
      let lastRefused = refused;
      while (writing) {
        const known = Number(oracle.prepare('SELECT max(id) FROM adult').pluck().get() ?? 0);
        const insert = wrnd() < 0.4 || known === 0;
        const hours = 1 + Math.floor(wrnd() * 99);
        if (insert) {
          const id = nextId++;
          const age = 17 + Math.floor(wrnd() * 70);
          const education = ['Bachelors', 'HS-grad', 'Masters'][Math.floor(wrnd() * 3)];
          const r = await cluster.call<{ changes: number }>('/v1/sql', {
            sql: `INSERT INTO adult (id, age, education, "${HOURS}") VALUES (?, ?, ?, ?)`,
            params: [id, age, education, hours],
          });
          if (r.ok && r.body.changes === 1) {
            put.run(id, age, education, hours);
            acknowledged.inserts++;
          } else if (!r.ok && r.refused) refused++;
          else {
            unknown++;
            noteError(r.ok ? `changes ${r.body.changes}` : r.error);
            uncertain.set(id, { values: new Set([hours]), mayBeAbsent: true });
            put.run(id, age, education, hours);
          }
        } else {
          const id = 1 + Math.floor(wrnd() * (known as number));
          const held = oracle.prepare('SELECT hours FROM adult WHERE id = ?').pluck().get(id) as
            | number
            | undefined;
          if (held === undefined || uncertain.has(id)) continue;
          const r = await cluster.call<{ changes: number }>('/v1/sql', {
            sql: `UPDATE adult SET "${HOURS}" = ? WHERE id = ?`,
            params: [hours, id],
          });
          if (r.ok && r.body.changes === 1) {
            setHours.run(hours, id);
            acknowledged.updates++;
          } else if (!r.ok && r.refused) refused++;
          else {
            unknown++;
            noteError(r.ok ? `changes ${r.body.changes}` : r.error);
            uncertain.set(id, { values: new Set([held, hours]), mayBeAbsent: false });
          }
        }
        // While the control plane is down or starting, ask again a little later rather than hammer it.
        await pause(refused > lastRefused ? 250 : 5 + wrnd() * 20);
        lastRefused = refused;
      }
    })();

    // The driver.
    const liveNodes = () =>
      cluster.q<{ id: string }>(
        "SELECT id FROM sys_nodes WHERE role = 'data' AND desired_state = 'running' ORDER BY id",
      );
    const plan = Array.from({ length: options.cycles }, (_, i) => ACTIONS[i % ACTIONS.length]);
    for (let i = plan.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [plan[i], plan[j]] = [plan[j], plan[i]];
    }
    for (const [cycle, wanted] of plan.entries()) {
      const live = liveNodes().map((n) => n.id);
      let action = wanted;
      // Keep 3..6 data nodes wanted: DELETE never has to wait for lack of nodes, INSERT never overgrows. Any
      // of them may be DELETEd, also one whose agent was just SIGKILLed: the reconciler relaunches it while
      // the termination gate holds it for its shards.
      if (action === 'delete-node' && live.length <= 3) action = 'insert-node';
      else if (action === 'insert-node' && live.length >= 6) action = 'kill-agent';
      actions[action]++;
      const pick = live[Math.floor(rnd() * live.length)];
      switch (action) {
        case 'delete-node': {
          const victim = live[Math.floor(rnd() * live.length)];
          step(`cycle ${cycle + 1}: DELETE data node ${victim}`);
          await cluster.sql('DELETE FROM sys_nodes WHERE id = ?', [victim]);
          break;
        }
        case 'insert-node': {
          const id = `d${nextNode++}`;
          step(`cycle ${cycle + 1}: INSERT data node ${id}`);
          await cluster.sql("INSERT INTO sys_nodes (id, role) VALUES (?, 'data')", [id]);
          break;
        }
        case 'kill-agent': {
          const pid = cluster.agentPid(pick);
          step(`cycle ${cycle + 1}: SIGKILL agent of ${pick} (pid ${pid ?? 'none'})`);
          if (pid !== undefined) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              // not running right now (being relaunched)
            }
          }
          break;
        }
        case 'kill-control-plane':
          step(`cycle ${cycle + 1}: SIGKILL the control plane; start it again on the same data dir`);
          await cluster.kill();
          await pause(rnd() * 500);
          await cluster.start();
          break;
      }
      await pause(rnd() * options.maxWaitMs);
    }
    writing = false;
    await writer;
    step(
      `writer stopped: ${acknowledged.inserts} inserts and ${acknowledged.updates} updates acknowledged, ${unknown} unknown, ${refused} refused`,
    );
    for (const [e, n] of Object.entries(errors)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8))
      log(`  ${n} × ${e}`);

    // Settle: every wanted node ready, the deleted ones gone, no move in flight, each shard at exactly its
    // replication factor of in-sync copies on ready nodes, nothing else in the catalog.
    const settled = () => {
      const nodes = cluster.q<{ id: string; status: string; desired_state: string }>(
        "SELECT id, status, desired_state FROM sys_nodes WHERE role = 'data'",
      );
      if (nodes.some((n) => n.status !== 'ready' || n.desired_state !== 'running')) return false;
      if (
        Number(cluster.one("SELECT count(*) FROM sys_shard_moves WHERE state NOT IN ('done', 'failed')")) > 0
      )
        return false;
      if (Number(cluster.one("SELECT count(*) FROM sys_placements WHERE state <> 'in_sync'")) > 0)
        return false;
      const wrong = cluster.one(
        `SELECT count(*) FROM sys_shards s JOIN sys_distributed_tables t ON t.colocation_group = s.colocation_group
         WHERE (SELECT count(*) FROM sys_placements p JOIN sys_nodes n ON n.id = p.node_id AND n.status = 'ready'
                WHERE p.colocation_group = s.colocation_group AND p.shard = s.shard AND p.state = 'in_sync')
               <> t.replication_factor`,
      );
      return Number(wrong) === 0;
    };
    await waitFor(settled, options.settleMs ?? 240_000, 250).catch((err) => {
      throw new Error(`the cluster did not settle: ${(err as Error).message}; ${describe(cluster)}`);
    });
    step('settled');

    // Under-replicated and orphaned: 0.
    const unhealthy = cluster.q<{ shard: number; status: string }>(
      "SELECT shard, status FROM sys_shard_status WHERE status <> 'available'",
    );
    if (unhealthy.length > 0) throw new Error(`shards not available: ${JSON.stringify(unhealthy)}`);
    const gone = cluster.q<{ node_id: string }>(
      "SELECT DISTINCT node_id FROM sys_placements WHERE node_id NOT IN (SELECT id FROM sys_nodes WHERE status = 'ready')",
    );
    if (gone.length > 0)
      throw new Error(`catalog placements on nodes that are gone: ${JSON.stringify(gone)}`);
    const nodes = cluster.q<{ id: string }>("SELECT id FROM sys_nodes WHERE role = 'data' ORDER BY id");
    await waitFor(
      async () => {
        for (const n of nodes) {
          const listed = cluster
            .q<{ k: string }>(
              "SELECT colocation_group || '/' || shard AS k FROM sys_placements WHERE node_id = ? ORDER BY 1",
              n.id,
            )
            .map((r) => r.k);
          const held = (await cluster.transport!.list(n.id))
            .map((p) => `${p.colocationGroup}/${p.shard}`)
            .sort();
          if (JSON.stringify(held) !== JSON.stringify([...listed].sort())) {
            throw new Error(`node ${n.id} holds ${held.join(' ')}; the catalog lists ${listed.join(' ')}`);
          }
        }
        return true;
      },
      30_000,
      250,
    ).catch((err) => {
      throw new Error(`orphaned placements: ${(err as Error).message}`);
    });

    // Copies identical: the same checksum on every placement of a shard.
    const shardRows = cluster.q<{ shard: number }>(
      "SELECT shard FROM sys_shards WHERE colocation_group = 'adult' ORDER BY shard",
    );
    let placements = 0;
    for (const { shard } of shardRows) {
      const copies = cluster
        .q<{ node_id: string }>(
          "SELECT node_id FROM sys_placements WHERE colocation_group = 'adult' AND shard = ?",
          shard,
        )
        .map((r) => r.node_id);
      const sums = new Map<string, string>();
      for (const n of copies) sums.set(n, (await cluster.transport!.digest(n, 'adult', shard)).checksum);
      placements += copies.length;
      if (new Set(sums.values()).size !== 1) {
        throw new Error(`shard ${shard}: placements differ: ${JSON.stringify([...sums])}`);
      }
    }

    // Every acknowledged row once with its last acknowledged value; unknown outcomes within what was tried.
    const read = async () => {
      const r = await cluster.call<ShardsQueryReply>('/v1/shards/query', {
        table: 'adult',
        sql: `SELECT id, age, education, "${HOURS}" FROM adult`,
      });
      if (!r.ok) throw new Error(`reading adult: ${r.error}`);
      return r.body.rows.map((x) => x.slice(1));
    };
    const stored = await read();
    const seen = new Map<number, unknown[]>();
    for (const r of stored) {
      const id = Number(r[0]);
      if (seen.has(id)) throw new Error(`row id ${id} is stored twice: ${JSON.stringify([seen.get(id), r])}`);
      seen.set(id, r);
    }
    for (const [id, u] of uncertain) {
      const r = seen.get(id);
      if (!r) {
        if (!u.mayBeAbsent) throw new Error(`row id ${id} (acknowledged insert) is missing`);
        continue;
      }
      if (!u.values.has(Number(r[3]))) {
        throw new Error(`row id ${id}: hours ${r[3]}; expected one of ${[...u.values].join(', ')}`);
      }
    }
    // Resolve the unknown outcomes by acknowledged writes: an insert's row is deleted, an update's row set
    // to a known value; then the stored rows must equal the oracle exactly.
    const maybeInserted = [...uncertain].filter(([, u]) => u.mayBeAbsent).map(([id]) => id);
    for (let i = 0; i < maybeInserted.length; i += 100) {
      const part = maybeInserted.slice(i, i + 100);
      await cluster.sql(`DELETE FROM adult WHERE id IN (${part.map(() => '?').join(', ')})`, part);
      for (const id of part) oracle.prepare('DELETE FROM adult WHERE id = ?').run(id);
    }
    for (const [id, u] of uncertain) {
      if (u.mayBeAbsent) continue;
      const r = await cluster.sql(`UPDATE adult SET "${HOURS}" = 100 WHERE id = ?`, [id]);
      if (r.changes !== 1) throw new Error(`resolving row id ${id}: UPDATE changed ${r.changes} rows`);
      setHours.run(100, id);
    }
    const final = await read();
    const expected = oracle.prepare('SELECT id, age, education, hours FROM adult').raw().all() as unknown[][];
    if (final.length !== expected.length) {
      const have = new Set(final.map((r) => Number(r[0])));
      const missing = expected.filter((r) => !have.has(Number(r[0]))).slice(0, 10);
      throw new Error(
        `${final.length} rows stored; the oracle has ${expected.length} (missing e.g. ${JSON.stringify(missing)})`,
      );
    }
    if (checksumOf(final) !== checksumOf(expected)) {
      const want = new Map(expected.map((r) => [Number(r[0]), JSON.stringify(r)]));
      const diff = final.filter((r) => want.get(Number(r[0])) !== JSON.stringify(r)).slice(0, 10);
      throw new Error(`stored rows differ from the oracle, e.g. ${JSON.stringify(diff)}`);
    }
    step(`checked: ${final.length} rows equal the oracle; ${placements} placements identical per shard`);
    oracle.close();
    return {
      seed: options.seed,
      cycles: options.cycles,
      actions,
      rowsLoaded: rows.length,
      finalRows: final.length,
      acknowledged,
      unknown,
      refused,
      errors,
      movesDone: Number(cluster.one("SELECT count(*) FROM sys_shard_moves WHERE state = 'done'")),
      movesFailed: Number(cluster.one("SELECT count(*) FROM sys_shard_moves WHERE state = 'failed'")),
      placements,
      seconds: (Date.now() - started) / 1000,
      steps,
    };
  } catch (err) {
    const at = steps.at(-1) ?? 'start';
    throw new Error(`chaos seed ${options.seed} failed after step "${at}": ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    await cluster.stop().catch(() => undefined);
    await stopLocalAgents(tmp.dir).catch(() => undefined);
    if (!process.env.CHAOS_KEEP) tmp.cleanup();
    else log(`kept ${tmp.dir}`);
  }
}

/** The catalog's view, for a failure message. */
function describe(c: ChaosCluster): string {
  const nodes = c.q("SELECT id, status, desired_state, status_reason FROM sys_nodes WHERE role = 'data'");
  const moves = c.q(
    "SELECT id, shard, kind, source_node, target_node, state, reason FROM sys_shard_moves WHERE state NOT IN ('done', 'failed')",
  );
  const bad = c.q(
    "SELECT shard, node_id, state, state_reason FROM sys_placements WHERE state <> 'in_sync' LIMIT 10",
  );
  const shards = c.q("SELECT shard, in_sync, status FROM sys_shard_status WHERE status <> 'available'");
  return `nodes ${JSON.stringify(nodes)}; active moves ${JSON.stringify(moves)}; placements not in sync ${JSON.stringify(bad)}; shards ${JSON.stringify(shards)}`;
}
