import type { FastifyPluginAsync } from 'fastify';
import type { ShardReader } from '../../../engine/index.js';
import {
  type DistributedPlanner,
  decodeParams,
  encodeValue,
  InfrabaseError,
  readsDistributedTable,
} from '../../../engine/index.js';
import type { SqlWriteRouter } from '../../service.js';
import { type SqlPool, type StatementTimeouts, statementTimeout } from '../../sql-pool/index.js';
import { useSqlBodyParser } from '../sql-body.js';

interface SqlBody {
  sql: string;
  params?: unknown[] | Record<string, unknown>;
  timeoutMs?: number;
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
 * `POST /v1/sql` with `{ sql, params?, timeoutMs? }` → `{ columns, rows, changes }`. One statement per call;
 * BLOB parameters and values travel as `{"$base64": "..."}`; integer parameters beyond ±(2^53 - 1) are read
 * exactly (sql-body.ts) and such integers in rows come back as decimal strings. The read-only token may only
 * run statements that do not write (403 otherwise). Runs in the SQL worker pool under a time limit (504 past
 * it), on a guarded connection (400 for what no token may run, docs/api.md).
 * A statement that reads a distributed or reference table goes through the distributed planner instead
 * (docs/distributed-queries.md): pushed to one placement per shard and merged here; a shape it cannot answer
 * exactly is a 400 naming it; a shard without placement is a 503. A write of a distributed table is not run in
 * the pool: `writes` (the data layer) routes it by shard key and replicates it to the data nodes.
 */
export function sqlRoutes(
  pool: SqlPool,
  distributed?: DistributedSql,
  writes?: SqlWriteRouter,
): FastifyPluginAsync {
  return async (app) => {
    useSqlBodyParser(app);
    app.post<{ Body: SqlBody }>(
      '/v1/sql',
      {
        schema: {
          body: {
            type: 'object',
            required: ['sql'],
            additionalProperties: false,
            properties: {
              sql: { type: 'string', minLength: 1 },
              params: { anyOf: [{ type: 'array' }, { type: 'object' }] },
              timeoutMs: { type: 'integer', minimum: 1 },
            },
          },
        },
      },
      async (request) => {
        const { sql, params, timeoutMs } = request.body;
        const routed = await writes?.(sql, decodeParams(params), request.scope === 'admin');
        if (routed) return { columns: [], rows: [], changes: routed.changes };
        const reader = distributed?.reader();
        if (distributed && reader && readsDistributedTable(sql, reader.tables())) {
          const limit = statementTimeout(timeoutMs, distributed.timeouts);
          const decoded = decodeParams(params);
          if (!Array.isArray(decoded)) {
            throw new InfrabaseError(
              'INVALID_ARGUMENT',
              'statements over distributed tables take positional parameters (a JSON array), not named ones',
            );
          }
          const plan = distributed.planner.plan(sql, decoded, reader.tables())!;
          const signal = AbortSignal.timeout(limit);
          const result = await distributed.planner.execute(plan, reader, signal).catch((err: unknown) => {
            if (signal.aborted) {
              throw new InfrabaseError(
                'TIMEOUT',
                `the distributed statement ran past its time limit of ${limit} ms`,
                {
                  cause: err,
                },
              );
            }
            throw err;
          });
          return {
            columns: result.columns,
            rows: result.rows.map((row) => row.map(encodeValue)),
            changes: 0,
          };
        }
        const result = await pool.execute({
          sql,
          params: decodeParams(params),
          readOnly: request.scope !== 'admin',
          timeoutMs,
        });
        return {
          columns: result.columns,
          rows: result.rows.map((row) => row.map(encodeValue)),
          changes: result.changes,
          ...(result.markedForTermination ? { markedForTermination: result.markedForTermination } : {}),
        };
      },
    );
  };
}
