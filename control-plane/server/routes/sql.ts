import type { FastifyPluginAsync } from 'fastify';
import { decodeParams, encodeValue } from '../../../engine/index.js';
import type { SqlWriteRouter } from '../../service.js';
import type { SqlPool } from '../../sql-pool/index.js';

interface SqlBody {
  sql: string;
  params?: unknown[] | Record<string, unknown>;
  timeoutMs?: number;
}

/**
 * `POST /v1/sql` with `{ sql, params?, timeoutMs? }` → `{ columns, rows, changes }`. One statement per call;
 * BLOB parameters and values travel as `{"$base64": "..."}`. The read-only token may only run statements
 * that do not write (403 otherwise). Runs in the SQL worker pool under a time limit (504 past it), except
 * writes of distributed tables, which `writes` (the data layer) replicates to the data nodes.
 */
export function sqlRoutes(pool: SqlPool, writes?: SqlWriteRouter): FastifyPluginAsync {
  return async (app) => {
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
        };
      },
    );
  };
}
