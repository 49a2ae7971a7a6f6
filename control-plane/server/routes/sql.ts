import type { FastifyPluginAsync } from 'fastify';
import { decodeParams, encodeValue } from '../../../engine/index.js';
import type { PoolRunner } from '../../user-statements.js';
import { useSqlBodyParser } from '../sql-body.js';

interface SqlBody {
  sql: string;
  params?: unknown[] | Record<string, unknown>;
  timeoutMs?: number;
}

/**
 * `POST /v1/sql` with `{ sql, params?, timeoutMs? }` → `{ columns, rows, changes }`. One statement per call;
 * BLOB parameters and values travel as `{"$base64": "..."}`; integer parameters beyond ±(2^53 - 1) are read
 * exactly (sql-body.ts) and such integers in rows come back as decimal strings. The read-only token may only
 * run statements that do not write (403 otherwise). `statements` runs it as the Postgres endpoint does
 * (`UserStatements`): in the SQL worker pool under a time limit (504 past it), on a guarded connection (400
 * for what no token may run, docs/api.md); a statement that reads a distributed or reference table through
 * the distributed planner (docs/distributed-queries.md: 400 naming a shape it cannot answer exactly, 503 for a
 * shard without placement); a write of a distributed table through the data layer.
 */
export function sqlRoutes(statements: PoolRunner): FastifyPluginAsync {
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
        const result = await statements.execute({
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
