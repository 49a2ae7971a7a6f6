import type { FastifyPluginAsync } from 'fastify';
import {
  assignShards,
  type Clock,
  CREATE_TIMEOUT_MS,
  type CreateSpec,
  classifyRead,
  createDistributedTable,
  type Database,
  DistributedStore,
  freeTableName,
  InfrabaseError,
  PerNodeTableStore,
  queryShards,
  type ShardCoordinator,
  type StatementTimeouts,
  statementTimeout,
  type TableCatalog,
} from '../../engine/index.js';
import { FUNCTION_NAMES } from '../../ml/index.js';
import { requireAdmin } from '../server/index.js';
import { type AgentClient, type DataNode, readyDataNodes } from '../training/index.js';
import { referencedModels, syncModels } from './model-sync.js';

export interface TableRoutesOptions {
  readonly db: Database;
  readonly agents: AgentClient;
  readonly clock: Clock;
  /** Per-node time limit of one agent call, ms. Default 60000. */
  readonly agentTimeoutMs?: number;
  /**
   * The data layer's shard reader: a cluster statement that reads distributed tables runs on one in-sync copy
   * per shard through it (rows tagged `_shard`) instead of on every node's per-node table.
   */
  readonly shards?: () => ShardCoordinator | undefined;
  /** Time limits of a cluster statement (`sql.timeoutMs`, `sql.maxTimeoutMs`), enforced on each node. */
  readonly sqlTimeouts: StatementTimeouts;
}

/** Added to a cluster statement's time limit to wait for the node's own answer, which reports its timeout. */
const AGENT_REPLY_MARGIN_MS = 5_000;

/** `POST /v1/tables/:name/create` body (see {@link CreateSpec}). */
export interface CreateTableBody extends CreateSpec {
  columns: { name: string; type: string }[];
  /** `distributed` (default): shards with replicas on the placement catalog; `per-node`: the older layout. */
  layout?: 'distributed' | 'per-node';
}

/** `POST /v1/tables/:name/rows` body: one batch of a load. */
export interface RowsBody {
  columns: string[];
  rows: unknown[][];
  /** The node ids `create` answered with, in order: the shards of this load. */
  nodes: string[];
  /** Position of the batch's first row in the whole load (round-robin). */
  offset: number;
  shardBy?: string;
}

/** `POST /v1/sql/cluster` reply: rows of every node, `_node` first; nodes that failed listed apart. */
export interface ClusterSqlReply {
  columns: string[];
  rows: unknown[][];
  nodes: string[];
  failures: { node: string; error: string }[];
}

function nodesByIds(db: Database, ids: readonly string[]): DataNode[] {
  const ready = new Map(readyDataNodes(db).map((n) => [n.id, n]));
  return ids.map((id) => {
    const n = ready.get(id);
    if (!n) throw new InfrabaseError('UNAVAILABLE', `data node ${id} of this load is no longer ready`);
    return n;
  });
}

/**
 * Sharded tables through the control plane (admin token):
 * - `POST /v1/tables/:name/create` {@link CreateTableBody} → `{ layout: 'distributed', shards,
 *   replicationFactor }`: creates a distributed table (32 shards, replication factor 2 with ≥ 2 data nodes, else
 *   1, unless given) and answers once its shards are placed; rows then go to `POST /v1/tables/:name/insert`.
 *   With `layout: 'per-node'` → `{ layout, nodes }`: the older layout, one table per ready data node
 *   recorded in `sys_tables`. An existing table of that name is refused (`CONFLICT`) unless `replace: true`;
 * - `POST /v1/tables/:name/rows` {@link RowsBody} → `{ rows: { <node>: n } }`: spreads a batch over the
 *   load's nodes (hash of `shardBy`, else round-robin by position) and adds the counts to `sys_tables`;
 * - `POST /v1/sql/cluster` `{ sql, timeoutMs? }` → {@link ClusterSqlReply}: a statement that reads distributed
 *   tables (SQLite's report over empty copies says so) runs on ONE in-sync copy per shard, rows tagged
 *   `_shard` first — every row once, `UNAVAILABLE` naming table and shards otherwise; any other statement runs
 *   as one read-only statement on every
 *   ready data node (read token allowed), rows prefixed with the node id in `_node`; the models its PREDICT
 *   calls name are copied to the nodes first. Each node kills the statement past `timeoutMs` (default and
 *   ceiling as for `POST /v1/sql`) and answers `TIMEOUT`.
 * @throws (as HTTP errors) `UNAVAILABLE` when there is no ready data node, `INVALID_ARGUMENT` for bad bodies
 *   (a `timeoutMs` out of range included).
 */
export function tableRoutes(options: TableRoutesOptions): FastifyPluginAsync {
  const { db, agents, clock } = options;
  const timeout = options.agentTimeoutMs ?? 60_000;
  const perNode = new PerNodeTableStore(db, clock);
  const catalog: TableCatalog = { distributed: new DistributedStore(db, clock), perNode, clock };
  return async (app) => {
    app.post<{ Params: { name: string }; Body: CreateTableBody }>('/v1/tables/:name/create', async (req) => {
      requireAdmin(req);
      const { name } = req.params;
      const body = req.body ?? ({} as CreateTableBody);
      const { columns, shardBy, layout = 'distributed' } = body;
      if (!Array.isArray(columns) || columns.length === 0) {
        throw new InfrabaseError('INVALID_ARGUMENT', 'body needs columns: [{"name", "type"}, …]');
      }
      if (layout !== 'distributed' && layout !== 'per-node') {
        throw new InfrabaseError(
          'INVALID_ARGUMENT',
          `layout must be distributed or per-node; got ${JSON.stringify(layout)}`,
        );
      }
      if (shardBy !== undefined && !columns.some((c) => c.name === shardBy)) {
        throw new InfrabaseError(
          'INVALID_ARGUMENT',
          `shard-by column '${shardBy}' is not a column of the file; columns: ${columns.map((c) => c.name).join(', ')}`,
        );
      }
      // One budget for the whole create: a replaced table's drop, then the new shards' placement.
      const deadline = clock.now() + (body.timeoutMs ?? CREATE_TIMEOUT_MS);
      const nodes = readyDataNodes(db);
      if (nodes.length === 0) {
        throw new InfrabaseError(
          'UNAVAILABLE',
          "no ready data node: INSERT INTO sys_nodes (role) VALUES ('data')",
        );
      }
      await freeTableName(catalog, name, body.replace === true, deadline - clock.now());
      if (layout === 'distributed') {
        const created = await createDistributedTable(catalog, name, {
          ...body,
          timeoutMs: Math.max(0, deadline - clock.now()),
        });
        return { layout, table: name, ...created };
      }
      await Promise.all(
        nodes.map((n) => agents.post(n, '/v1/shard/tables', { table: name, columns }, timeout)),
      );
      perNode.recordCreate(
        name,
        nodes.map((n) => n.id),
        shardBy ?? null,
        columns,
      );
      return { layout, nodes: nodes.map((n) => n.id) };
    });

    app.post<{ Params: { name: string }; Body: RowsBody }>(
      '/v1/tables/:name/rows',
      { bodyLimit: 64 * 1024 * 1024 },
      async (req) => {
        requireAdmin(req);
        const { name } = req.params;
        const b = req.body;
        if (
          !b ||
          !Array.isArray(b.columns) ||
          !Array.isArray(b.rows) ||
          !Array.isArray(b.nodes) ||
          b.nodes.length === 0
        ) {
          throw new InfrabaseError(
            'INVALID_ARGUMENT',
            'rows body needs columns, rows, nodes (from create) and offset',
          );
        }
        const keyIndex = b.shardBy === undefined ? undefined : b.columns.indexOf(b.shardBy);
        if (keyIndex !== undefined && keyIndex < 0) {
          throw new InfrabaseError(
            'INVALID_ARGUMENT',
            `shard-by column '${b.shardBy}' is not among the columns`,
          );
        }
        const nodes = nodesByIds(db, b.nodes);
        const shard = assignShards(b.rows, nodes.length, Number(b.offset) || 0, keyIndex);
        const parts = nodes.map(() => [] as unknown[][]);
        b.rows.forEach((row, i) => {
          parts[shard[i]].push(row);
        });
        await Promise.all(
          nodes.map((n, k) =>
            parts[k].length === 0
              ? undefined
              : agents.post(
                  n,
                  '/v1/shard/rows',
                  { table: name, columns: b.columns, rows: parts[k] },
                  timeout,
                ),
          ),
        );
        perNode.addRows(name, new Map(nodes.map((n, k) => [n.id, parts[k].length])));
        return { rows: Object.fromEntries(nodes.map((n, k) => [n.id, parts[k].length])) };
      },
    );

    app.post<{ Body: { sql: string; timeoutMs?: number } }>('/v1/sql/cluster', async (req) => {
      const sql = req.body?.sql;
      if (typeof sql !== 'string' || sql.trim() === '') {
        throw new InfrabaseError('INVALID_ARGUMENT', 'body must be {"sql": "<one read-only statement>"}');
      }
      const coordinator = options.shards?.();
      const read =
        coordinator && classifyRead([...coordinator.tables().values()], sql, Object.values(FUNCTION_NAMES));
      if (coordinator && read) {
        const r = await queryShards(coordinator, read.colocationGroup, sql, []);
        const reply: ClusterSqlReply = { columns: r.columns, rows: r.rows, nodes: [], failures: [] };
        return reply;
      }
      const nodes = readyDataNodes(db);
      if (nodes.length === 0) throw new InfrabaseError('UNAVAILABLE', 'no ready data node to query');
      const timeoutMs = statementTimeout(req.body.timeoutMs, options.sqlTimeouts);
      const models = referencedModels(sql);
      const settled = await Promise.allSettled(
        nodes.map(async (n) => {
          await syncModels(db, agents, n, models, timeout);
          return agents.post<{ columns: string[]; rows: unknown[][] }>(
            n,
            '/v1/shard/query',
            { sql, timeoutMs },
            timeoutMs + AGENT_REPLY_MARGIN_MS,
          );
        }),
      );
      const out: ClusterSqlReply = { columns: [], rows: [], nodes: [], failures: [] };
      const errors: InfrabaseError[] = [];
      settled.forEach((s, k) => {
        if (s.status === 'rejected') {
          errors.push(s.reason as InfrabaseError);
          out.failures.push({ node: nodes[k].id, error: (s.reason as Error).message });
          return;
        }
        if (out.columns.length === 0) out.columns = ['_node', ...s.value.columns];
        out.nodes.push(nodes[k].id);
        for (const row of s.value.rows) out.rows.push([nodes[k].id, ...row]);
      });
      // The same statement failing everywhere is the statement's fault (e.g. a write, a syntax error).
      if (out.nodes.length === 0 && errors.length > 0) throw errors[0];
      return out;
    });
  };
}
