/**
 * The distributed query planner's surface: one SELECT (or EXPLAIN SELECT) over distributed and reference
 * tables answered as if the tables were one, by pushing work to one placement per shard and merging on the
 * control plane. Pure planning; the only I/O is through the {@link ShardReader}.
 */
import Database from 'better-sqlite3';
import type { DistributedTable, ShardQueryResult, ShardReader } from '../distributed/index.js';
import { InfrabaseError } from '../errors.js';
import { type AstNode, bindSql } from './ast.js';
import { inlineCtes } from './cte.js';
import { executePlan } from './merge.js';
import { parseStatement } from './parse.js';
import type { QueryPlan } from './plan.js';
import { planQuery, tablesRead } from './select.js';
import type { Affinity } from './sources.js';

/** A planned statement, for {@link DistributedPlanner.execute}. */
export interface DistributedPlan {
  /** `EXPLAIN …`: execute returns the plan's description instead of running it. */
  readonly explain: boolean;
  readonly query: QueryPlan;
  readonly params: readonly unknown[];
}

export interface DistributedPlannerOptions {
  /** Most rows all shards together may return for one statement (default 1,000,000). */
  readonly maxMergeRows?: number;
}

/**
 * Plans and runs SELECTs over distributed tables.
 * @example
 * const planner = new DistributedPlanner();
 * const result = await planner.run('SELECT count(*) FROM adult', [], reader);
 * // result.rows → [[48842]]
 */
export class DistributedPlanner {
  private readonly db = new Database(':memory:');
  private readonly maxMergeRows: number;
  private tableSeq = 0;
  private readonly affinityStatements = new Map<
    string,
    { insert: Database.Statement; clear: Database.Statement }
  >();

  constructor(options: DistributedPlannerOptions = {}) {
    this.maxMergeRows = options.maxMergeRows ?? 1_000_000;
    this.db.prepare('CREATE TEMP TABLE _affinity (n NUMERIC, t TEXT, b)').run();
  }

  /**
   * Plans `sql` with its positional `params`.
   * @returns undefined when the statement reads no distributed or reference table (it is not the planner's).
   * @throws InfrabaseError('INVALID_ARGUMENT') for a shape that cannot be answered exactly (the message names
   *   it and what is supported), named parameters, or more than one statement; ('SQL_ERROR') on a syntax error.
   */
  plan(
    sql: string,
    params: readonly unknown[],
    tables: ReadonlyMap<string, DistributedTable>,
  ): DistributedPlan | undefined {
    const { node, src } = parseStatement(sql);
    if (!tablesRead(node).some((t) => tables.has(t))) return undefined;
    if ([...src.paramIndex.values()].some((i) => i < 0)) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        'named parameters (:name, @name, $name) are not supported over distributed tables; use ? or ?NNN',
      );
    }
    const wanted = Math.max(0, ...[...src.paramIndex.values()].map((i) => i + 1));
    if (params.length !== wanted) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `the statement takes ${wanted} parameter${wanted === 1 ? '' : 's'}; got ${params.length}`,
      );
    }
    const explain = node.type === 'explain_stmt';
    let statement = explain ? (node.statement as AstNode) : node;
    let source = src;
    const inlined = inlineCtes(statement, src);
    if (inlined !== undefined) ({ node: statement, src: source } = parseStatement(inlined));
    const query = planQuery(statement, {
      tables,
      src: source,
      params,
      convert: (value, affinity) => this.convert(value, affinity),
      nextTable: () => `_merge${++this.tableSeq}`,
    });
    return { explain, query, params };
  }

  /** How many positional parameters `sql` takes (`?`, `?NNN`, `$NNN`). @throws as {@link plan} on a syntax error. */
  parameterCount(sql: string): number {
    const { src } = parseStatement(sql);
    return Math.max(0, ...[...src.paramIndex.values()].map((i) => i + 1));
  }

  /** Runs a plan (or describes it, for EXPLAIN). */
  async execute(plan: DistributedPlan, reader: ShardReader, signal?: AbortSignal): Promise<ShardQueryResult> {
    if (plan.explain) return explainRows(plan);
    return executePlan(plan.query, plan.params, reader, this.db, this.maxMergeRows, signal);
  }

  /** Plans and runs; undefined when the statement reads no distributed table. */
  async run(
    sql: string,
    params: readonly unknown[],
    reader: ShardReader,
    signal?: AbortSignal,
  ): Promise<ShardQueryResult | undefined> {
    const plan = this.plan(sql, params, reader.tables());
    return plan ? this.execute(plan, reader, signal) : undefined;
  }

  /** Closes the merge database. */
  close(): void {
    this.db.close();
  }

  /** The value SQLite compares with a column of `affinity`: stored into such a column and read back. */
  private convert(value: unknown, affinity: Affinity): unknown {
    const col = affinity === 'TEXT' ? 't' : affinity === '' ? 'b' : 'n';
    const v = typeof value === 'boolean' ? Number(value) : value;
    const stmt = this.affinityStatements.get(col) ?? {
      insert: this.db.prepare(`INSERT INTO _affinity (${col}) VALUES (?) RETURNING ${col}`).raw(true),
      clear: this.db.prepare('DELETE FROM _affinity'),
    };
    this.affinityStatements.set(col, stmt);
    const row = stmt.insert.get(v) as unknown[];
    stmt.clear.run();
    return row[0];
  }
}

/**
 * Whether `sql` is one query (SELECT, compound, or EXPLAIN of one) that reads a table of `tables`: then it
 * belongs to the planner. False for writes (they are the data layer's) and when the SQL parser does not
 * accept the statement: such statements keep their own path, where SQLite reports on them.
 */
export function readsDistributedTable(sql: string, tables: ReadonlyMap<string, DistributedTable>): boolean {
  let node: AstNode;
  try {
    node = parseStatement(sql).node;
  } catch {
    return false;
  }
  const query = node.type === 'explain_stmt' ? (node.statement as AstNode) : node;
  if (query.type !== 'select_stmt' && query.type !== 'compound_select_stmt') return false;
  return tablesRead(node).some((t) => tables.has(t));
}

/** EXPLAIN rows: one per shard statement (step, target, sql) and one per merge step. */
function explainRows(plan: DistributedPlan): ShardQueryResult {
  const rows: unknown[][] = [];
  for (const f of plan.query.fragments) {
    const { sql } = bindSql(f.sql, plan.params);
    const target = `group ${f.group}, shards ${f.shards.join(',')} (one in-sync placement each)`;
    rows.push(['shard', target, `${sql}  → ${f.table}`]);
  }
  for (const s of plan.query.steps) rows.push(['merge', 'control plane', s]);
  rows.push(['final', 'control plane', bindSql(plan.query.final, plan.params).sql]);
  return { columns: ['step', 'target', 'detail'], rows };
}
