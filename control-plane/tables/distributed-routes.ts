import type { FastifyPluginAsync } from 'fastify';
import {
  InfrabaseError,
  queryShards,
  type ShardCoordinator,
  type ShardsQueryResult,
} from '../../engine/index.js';
import { requireAdmin } from '../server/index.js';

/** `POST /v1/shards/query` reply: each shard's rows once, `_shard` first (engine's `queryShards`). */
export type ShardsQueryReply = ShardsQueryResult;

/**
 * Distributed tables through the control plane (docs/distributed-tables.md):
 * - `POST /v1/tables/:name/insert` `{columns, rows}` (admin) → `{rows, firstRow, evicted}`: routed by shard
 *   key, acknowledged once every in-sync copy of each touched shard has it;
 * - `POST /v1/tables/:name/modify` `{sql, params?}` (admin) → `{rows, evicted}`: an UPDATE or DELETE,
 *   evaluated on each shard's primary into row images applied to every in-sync copy;
 * - `POST /v1/shards/query` `{table, sql, params?}` (read token allowed) → {@link ShardsQueryReply}: one
 *   read-only statement on ONE in-sync copy of every shard of the table's group — every row once.
 * @throws (as HTTP errors) `UNAVAILABLE` naming table and shards without an in-sync copy; `NOT_FOUND` for an
 *   unknown table; `INVALID_ARGUMENT` for bad bodies.
 */
export function distributedRoutes(coordinator: () => ShardCoordinator | undefined): FastifyPluginAsync {
  const get = () => {
    const c = coordinator();
    if (!c) throw new InfrabaseError('UNAVAILABLE', 'the data layer is starting');
    return c;
  };
  return async (app) => {
    app.post<{ Params: { name: string }; Body: { columns?: string[]; rows?: unknown[][] } }>(
      '/v1/tables/:name/insert',
      { bodyLimit: 64 * 1024 * 1024 },
      async (req) => {
        requireAdmin(req);
        const { columns, rows } = req.body ?? {};
        if (!Array.isArray(columns) || !Array.isArray(rows)) {
          throw new InfrabaseError(
            'INVALID_ARGUMENT',
            'body must be {"columns": [names], "rows": [[values]]}',
          );
        }
        return get().insert(req.params.name, columns, rows);
      },
    );
    app.post<{ Params: { name: string }; Body: { sql?: string; params?: unknown[] } }>(
      '/v1/tables/:name/modify',
      async (req) => {
        requireAdmin(req);
        if (typeof req.body?.sql !== 'string') {
          throw new InfrabaseError(
            'INVALID_ARGUMENT',
            'body must be {"sql": "<UPDATE or DELETE>", "params"?: [...]}',
          );
        }
        return get().modify(req.params.name, req.body.sql, req.body.params ?? []);
      },
    );
    app.post<{ Body: { table?: string; sql?: string; params?: unknown[] } }>(
      '/v1/shards/query',
      async (req) => {
        const { table, sql, params } = req.body ?? {};
        if (typeof table !== 'string' || typeof sql !== 'string') {
          throw new InfrabaseError(
            'INVALID_ARGUMENT',
            'body must be {"table": "<distributed table>", "sql": "<one read-only statement>"}',
          );
        }
        const c = get();
        const t = c.tables().get(table.toLowerCase());
        if (!t) throw new InfrabaseError('NOT_FOUND', `distributed table '${table}' does not exist`);
        return queryShards(c, t.colocationGroup, sql, params ?? []);
      },
    );
  };
}
