import {
  type DistributedPlanner,
  InfrabaseError,
  type QueryResult,
  readsDistributedTable,
  type ShardReader,
  type SqlRequest,
  type StatementTimeouts,
  statementTimeout,
} from '../engine/index.js';
import type { SqlWriteRouter } from './service.js';

/** The slice of the SQL worker pool that runs statements. */
export interface PoolRunner {
  execute(req: SqlRequest): Promise<QueryResult>;
}

/**
 * Reads of distributed tables: the data layer's shard reader (undefined while the cluster has none) and the
 * planner that answers a SELECT over distributed tables as one table.
 */
export interface DistributedSql {
  readonly reader: () => ShardReader | undefined;
  readonly planner: DistributedPlanner;
  readonly timeouts: StatementTimeouts;
}

/**
 * Runs one user statement, from `POST /v1/sql` or the Postgres endpoint alike, so both answer it the same:
 * a write of a distributed table goes to `writes` (the data layer routes it by shard key); a query that reads a
 * distributed or reference table (EXPLAIN included) goes through the distributed planner
 * (docs/distributed-queries.md); everything else, and Postgres catalog queries, run in the SQL worker pool.
 *
 * @example
 * const statements = new UserStatements(pool, distributedSql, writes);
 * await statements.execute({ sql: 'SELECT count(*) FROM adult', readOnly: true }); // { columns: ['count(*)'], rows: [[48842]], changes: 0 }
 */
export class UserStatements implements PoolRunner {
  constructor(
    private readonly pool: PoolRunner,
    private readonly distributed?: DistributedSql,
    private readonly writes?: SqlWriteRouter,
  ) {}

  /**
   * Runs `req` where it belongs (see the class). A planned statement honours `timeoutMs` (default
   * `sql.timeoutMs`) and `signal` as the pool does: past either it fails with `TIMEOUT`. `mode: 'describe'`
   * of a planned statement runs it (with NULL for unbound parameters) to learn its columns.
   * @throws InfrabaseError as the pool, the data layer or the planner report it: `INVALID_ARGUMENT` for a
   *   shape the planner cannot answer exactly or named parameters over distributed tables, `UNAVAILABLE` for a
   *   shard without an in-sync placement, `TIMEOUT`.
   */
  async execute(req: SqlRequest): Promise<QueryResult> {
    if (req.handler) return this.pool.execute(req);
    const params = req.params ?? [];
    if (req.mode !== 'describe') {
      const routed = await this.writes?.(req.sql, params, req.readOnly !== true);
      if (routed) return { columns: [], rows: [], changes: routed.changes };
    }
    const reader = this.distributed?.reader();
    const tables = reader?.tables();
    if (this.distributed && reader && tables?.size && readsDistributedTable(req.sql, tables)) {
      return this.plan(this.distributed, reader, req);
    }
    return this.pool.execute(req);
  }

  private async plan(
    distributed: DistributedSql,
    reader: ShardReader,
    req: SqlRequest,
  ): Promise<QueryResult> {
    const limit = statementTimeout(req.timeoutMs, distributed.timeouts);
    const positional = positionalParams(req.params ?? []);
    const plan = distributed.planner.plan(
      req.sql,
      req.mode === 'describe' ? fillUnbound(req.sql, positional, distributed) : positional,
      reader.tables(),
    )!;
    const timeout = AbortSignal.timeout(limit);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    try {
      const result = await distributed.planner.execute(plan, reader, signal);
      return { columns: result.columns, rows: result.rows, changes: 0 };
    } catch (err) {
      if (req.signal?.aborted) {
        throw new InfrabaseError('TIMEOUT', "statement was cancelled at the client's request", {
          cause: err,
        });
      }
      if (timeout.aborted) {
        throw new InfrabaseError(
          'TIMEOUT',
          `the distributed statement ran past its time limit of ${limit} ms`,
          {
            cause: err,
          },
        );
      }
      throw err;
    }
  }
}

/**
 * Parameters as the planner takes them: a JSON array as it is; the Postgres endpoint's `{ "1": v1, "2": v2 }`
 * (`$1`, `$2`) in order.
 * @throws InfrabaseError `INVALID_ARGUMENT` for other named parameters.
 */
function positionalParams(params: unknown[] | Record<string, unknown>): unknown[] {
  if (Array.isArray(params)) return params;
  const keys = Object.keys(params);
  if (keys.every((k, i) => k === String(i + 1))) return keys.map((k) => params[k]);
  throw new InfrabaseError(
    'INVALID_ARGUMENT',
    'statements over distributed tables take positional parameters (a JSON array, or $1, $2, … over Postgres), not named ones',
  );
}

/** `params` extended with NULLs to the number the statement takes (a Describe before Bind has none). */
function fillUnbound(sql: string, params: unknown[], distributed: DistributedSql): unknown[] {
  const wanted = distributed.planner.parameterCount(sql);
  return params.length >= wanted ? params : [...params, ...Array(wanted - params.length).fill(null)];
}
