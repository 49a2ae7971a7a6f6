/**
 * Runs a plan: every fragment on its shards through the {@link ShardReader}, the rows loaded into temporary
 * tables of an in-memory SQLite database, and the final statement there, so the merge has SQLite's own
 * semantics (collations, NULL order, affinity, integer and REAL arithmetic).
 * @internal
 */
import type Database from 'better-sqlite3';
import type { DistributedTable, ShardQueryResult, ShardReader } from '../distributed/index.js';
import { fromSqliteError, InfrabaseError, isInfrabaseError } from '../errors.js';
import { bindSql, quoteIdent } from './ast.js';
import type { Fragment, QueryPlan } from './plan.js';

function typed(value: unknown, type: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (type === 'integer') return typeof value === 'number' ? BigInt(value) : value;
  if (type === 'real') return typeof value === 'bigint' ? Number(value) : value;
  return value;
}

/** The rows of one fragment, as values to bind into its merge table. */
function loadRows(fragment: Fragment, results: readonly ShardQueryResult[]): unknown[][] {
  const out: unknown[][] = [];
  for (const r of results) {
    for (const row of r.rows) {
      const values: unknown[] = [];
      let j = 0;
      for (const c of fragment.columns) {
        const v = row[j++];
        if (c.load === 'companion') values.push(typed(v, row[j++]));
        else if (c.load === 'integer') values.push(typed(v, 'integer'));
        else if (c.load === 'real') values.push(typed(v, 'real'));
        else values.push(v === undefined ? null : v);
      }
      out.push(values);
    }
  }
  return out;
}

/**
 * Every fragment's rows from each of its shards, all read at once. Reads that fail for want of an available
 * placement are gathered into one UNAVAILABLE error naming the tables and every shard concerned (so a user sees
 * the extent of an outage at once); any other failure is thrown as it came.
 */
async function readFragments(
  plan: QueryPlan,
  params: readonly unknown[],
  reader: ShardReader,
  signal: AbortSignal | undefined,
): Promise<ShardQueryResult[][]> {
  const settled = await Promise.all(
    plan.fragments.map((f) => {
      const { sql, params: p } = bindSql(f.sql, params);
      return Promise.allSettled(
        f.shards.map((shard) => reader.query({ colocationGroup: f.group, shard }, sql, p, signal)),
      );
    }),
  );
  const down = new Map<string, Set<number>>();
  let first: unknown;
  for (const [i, rs] of settled.entries()) {
    for (const [k, r] of rs.entries()) {
      if (r.status === 'fulfilled') continue;
      if (!isInfrabaseError(r.reason, 'UNAVAILABLE')) throw r.reason;
      first ??= r.reason;
      const group = plan.fragments[i].group;
      down.set(group, (down.get(group) ?? new Set()).add(plan.fragments[i].shards[k]));
    }
  }
  if (first === undefined) {
    return settled.map((rs) => rs.map((r) => (r as PromiseFulfilledResult<ShardQueryResult>).value));
  }
  if (down.size === 1 && [...down.values()][0].size === 1) throw first; // its own message says more
  throw unavailableShards(down, reader.tables());
}

/** One UNAVAILABLE error listing, per colocation group, its tables and its shards without a placement. */
function unavailableShards(
  down: ReadonlyMap<string, ReadonlySet<number>>,
  tables: ReadonlyMap<string, DistributedTable>,
): InfrabaseError {
  const names = (group: string) => {
    const t = [...tables.values()].filter((x) => x.colocationGroup === group).map((x) => x.name);
    return t.length > 0 ? t : [group];
  };
  const parts = [...down].map(([group, set]) => {
    const shards = [...set].sort((a, b) => a - b);
    return `table ${names(group).join(', ')}: shard${shards.length > 1 ? 's' : ''} ${shards.join(', ')}`;
  });
  const count = [...down.values()].reduce((n, set) => n + set.size, 0);
  return new InfrabaseError(
    'UNAVAILABLE',
    `${parts.join('; ')} ${count > 1 ? 'have' : 'has'} no available in-sync placement`,
    {
      details: {
        tables: [...down.keys()].flatMap(names),
        shards: [...new Set([...down.values()].flatMap((s) => [...s]))].sort((a, b) => a - b),
      },
    },
  );
}

/**
 * Executes `plan` with `params` (the caller's positional parameters).
 * @throws InfrabaseError('UNAVAILABLE') from the reader when a shard has no in-sync placement;
 *   InfrabaseError('INVALID_ARGUMENT') when the shards return more than `maxRows` rows in all;
 *   InfrabaseError('SQL_ERROR') from SQLite for the final statement.
 */
export async function executePlan(
  plan: QueryPlan,
  params: readonly unknown[],
  reader: ShardReader,
  db: Database.Database,
  maxRows: number,
  signal?: AbortSignal,
): Promise<ShardQueryResult> {
  const results = await readFragments(plan, params, reader, signal);
  const total = results.reduce((n, rs) => n + rs.reduce((m, r) => m + r.rows.length, 0), 0);
  if (total > maxRows) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `the statement brings ${total} rows from the shards to the control plane, over the limit of ${maxRows}; ` +
        'add a filter, an aggregate or ORDER BY … LIMIT',
    );
  }
  // Synchronous from here: the merge tables exist only while this statement merges.
  const created: string[] = [];
  try {
    plan.fragments.forEach((f, i) => {
      const cols = f.columns
        .map((c) => `${quoteIdent(c.name)}${c.affinity ? ` ${c.affinity}` : ''}`)
        .join(', ');
      db.prepare(`CREATE TEMP TABLE ${quoteIdent(f.table)} (${cols})`).run();
      created.push(f.table);
      const insert = db.prepare(
        `INSERT INTO ${quoteIdent(f.table)} VALUES (${f.columns.map(() => '?').join(', ')})`,
      );
      const rows = loadRows(f, results[i]);
      db.transaction(() => {
        for (const row of rows) insert.run(row);
      })();
    });
    const { sql, params: p } = bindSql(plan.final, params);
    const stmt = db.prepare(sql);
    const rows = stmt.raw(true).all(p) as unknown[][];
    return { columns: stmt.columns().map((c) => c.name), rows };
  } catch (err) {
    throw fromSqliteError(err);
  } finally {
    for (const t of created) db.prepare(`DROP TABLE temp.${quoteIdent(t)}`).run();
  }
}
