/**
 * A faithful fake of the ShardReader contract for planner tests: one in-memory SQLite database per shard
 * holding that shard of every distributed table (rows split by shardForValue of the stored shard-key value)
 * and every reference table whole, plus one database holding all rows (the oracle). A deterministic
 * PREDICT(model, …) is registered on the shards and the oracle only, so a plan that tried to score on the
 * control plane would fail.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import type { DistributedTable, ShardQueryResult, ShardReader } from '../../../engine/distributed/index.js';
import { shardForValue } from '../../../engine/distributed/index.js';
import { InfrabaseError } from '../../../engine/index.js';
import { EXAMPLES, readDataFile } from '../../support/data.js';

export const SHARDS = 4;

const ADULT: DistributedTable = {
  name: 'adult',
  kind: 'distributed',
  shardKey: 'cid',
  shardCount: SHARDS,
  colocationGroup: 'customers',
  columns: [
    { name: 'cid', type: 'INTEGER' },
    { name: 'age', type: 'INTEGER' },
    { name: 'workclass', type: 'TEXT' },
    { name: 'fnlwgt', type: 'INTEGER' },
    { name: 'education', type: 'TEXT' },
    { name: 'education_num', type: 'INTEGER' },
    { name: 'occupation', type: 'TEXT' },
    { name: 'sex', type: 'TEXT' },
    { name: 'capital_gain', type: 'INTEGER' },
    { name: 'hours', type: 'INTEGER' },
    { name: 'ratio', type: 'REAL' },
    { name: 'Y', type: 'TEXT' },
  ],
};

const BANK: DistributedTable = {
  name: 'bank',
  kind: 'distributed',
  shardKey: 'cid',
  shardCount: SHARDS,
  colocationGroup: 'customers',
  columns: [
    { name: 'cid', type: 'INTEGER' },
    { name: 'age', type: 'INTEGER' },
    { name: 'job', type: 'TEXT' },
    { name: 'marital', type: 'TEXT' },
    { name: 'education', type: 'TEXT' },
    { name: 'duration', type: 'INTEGER' },
    { name: 'campaign', type: 'INTEGER' },
    { name: 'euribor', type: 'REAL' },
    { name: 'y', type: 'TEXT' },
  ],
};

const JOBS: DistributedTable = {
  name: 'jobs',
  kind: 'reference',
  shardKey: 'job',
  shardCount: 1,
  colocationGroup: 'reference',
  columns: [
    { name: 'job', type: 'TEXT' },
    { name: 'jid', type: 'INTEGER' },
    { name: 'manual', type: 'INTEGER' },
  ],
};

/** A table in another colocation group, for the refused non-co-located join. */
const IRIS: DistributedTable = {
  name: 'iris',
  kind: 'distributed',
  shardKey: 'id',
  shardCount: 2,
  colocationGroup: 'flowers',
  columns: [
    { name: 'id', type: 'INTEGER' },
    { name: 'cid', type: 'INTEGER' },
  ],
};

function csv(file: string, delimiter = ','): Record<string, string>[] {
  return parse(readDataFile(join(EXAMPLES, 'tabular', file)), {
    columns: (h: string[]) => h.map((c) => c.trim()),
    delimiter,
    trim: true,
    skip_empty_lines: true,
  }) as Record<string, string>[];
}

function predict(_model: unknown, ...xs: unknown[]): number | null {
  if (xs.some((x) => x === null)) return null;
  const s = xs.reduce<number>((a, x) => a * 31 + Number(x), 7);
  return Math.abs(s) % 3 === 0 ? 1 : 0;
}

function create(db: Database.Database, t: DistributedTable): void {
  db.exec(`CREATE TABLE ${t.name} (${t.columns.map((c) => `"${c.name}" ${c.type}`).join(', ')})`);
}

export interface FakeCluster {
  readonly reader: ShardReader & { calls: { shard: number; sql: string }[] };
  readonly oracle: Database.Database;
  readonly tables: ReadonlyMap<string, DistributedTable>;
  close(): void;
}

/** Loads `adultRows` rows of Adult and all of Bank Marketing, both keyed by a synthetic customer id. */
export function fakeCluster(adultRows = 4000, customers = 1500): FakeCluster {
  const tables = new Map([ADULT, BANK, JOBS, IRIS].map((t) => [t.name, t]));
  const oracle = new Database(':memory:');
  const shards = Array.from({ length: SHARDS }, () => new Database(':memory:'));
  for (const db of [oracle, ...shards]) {
    for (const t of tables.values()) create(db, t);
    db.function('PREDICT', { deterministic: true, varargs: true }, predict);
  }
  const nullable = (v: string) => (v === '?' ? null : v);
  const adult = csv('adult.csv.gz')
    .slice(0, adultRows)
    .map((r, i) => [
      (i * 7919) % customers,
      Number(r.age),
      nullable(r.workclass),
      Number(r.fnlwgt),
      r.education,
      Number(r['education-num']),
      nullable(r.occupation),
      r.sex,
      Number(r['capital-gain']),
      Number(r['hours-per-week']),
      i % 11 === 0 ? null : Number(r['capital-gain']) / (Number(r['hours-per-week']) + 0.5),
      r.Y,
    ]);
  const bank = csv('bank_marketing.csv').map((r, i) => [
    (i * 104729) % customers,
    Number(r.age),
    r.job,
    r.marital,
    r.education,
    Number(r.duration),
    Number(r.campaign),
    Number(r.euribor3m),
    r.y,
  ]);
  const jobNames = [...new Set(bank.map((r) => r[2] as string))].sort();
  const jobs = jobNames.map((j, i) => [j, i, /collar|services|housemaid|technician/.test(j) ? 1 : 0]);
  const insertAll = (db: Database.Database, table: string, rows: unknown[][]) => {
    if (rows.length === 0) return;
    const stmt = db.prepare(`INSERT INTO ${table} VALUES (${rows[0].map(() => '?').join(', ')})`);
    db.transaction(() => {
      for (const r of rows) stmt.run(r);
    })();
  };
  for (const [table, rows] of [
    ['adult', adult],
    ['bank', bank],
  ] as const) {
    insertAll(oracle, table, rows);
    for (let s = 0; s < SHARDS; s++) {
      insertAll(
        shards[s],
        table,
        rows.filter((r) => shardForValue(r[0], SHARDS) === s),
      );
    }
  }
  for (const db of [oracle, ...shards]) insertAll(db, 'jobs', jobs);
  const calls: { shard: number; sql: string }[] = [];
  const reader = {
    calls,
    tables: () => tables,
    async query(target: { colocationGroup: string; shard: number }, sql: string, params: readonly unknown[]) {
      const db = target.colocationGroup === 'reference' ? shards[0] : shards[target.shard];
      if (!db || (target.colocationGroup !== 'customers' && target.colocationGroup !== 'reference')) {
        throw new InfrabaseError(
          'UNAVAILABLE',
          `no placement of shard ${target.shard} of ${target.colocationGroup}`,
          { details: { tables: [target.colocationGroup], shards: [target.shard] } },
        );
      }
      calls.push({ shard: target.shard, sql });
      const stmt = db.prepare(sql);
      if (!stmt.reader) throw new InfrabaseError('READONLY', 'shard statements are read-only');
      const rows = stmt.raw(true).all(...params) as unknown[][];
      return { columns: stmt.columns().map((c) => c.name), rows } satisfies ShardQueryResult;
    },
  };
  return {
    reader,
    oracle,
    tables,
    close() {
      for (const db of [oracle, ...shards]) db.close();
    },
  };
}
