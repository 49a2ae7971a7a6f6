import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { type ControlTokenCheck, verifyControlToken } from '../autoinfra/index.js';
import { type Database, encodeValue, InfrabaseError, type SqlPool } from '../engine/index.js';

/** Largest request body the shard and training endpoints accept, bytes (a batch of rows, or weights). */
export const AGENT_BODY_LIMIT = 64 * 1024 * 1024;

export interface AgentRouteOptions {
  readonly shard: Database;
  /**
   * How the agent checks the credential the control plane presents (`Authorization: Bearer <control token>`,
   * signed with the key handed to the agent in the join reply); before the join every call is refused.
   */
  readonly controlToken: ControlTokenCheck;
}

/** Options of the routes that run user SQL. */
export interface UserSqlRouteOptions extends AgentRouteOptions {
  /** Runs user SQL on the shard (cluster queries, `training_sql`) in a worker process under a time limit. */
  readonly userSql: SqlPool;
}

/**
 * @throws InfrabaseError('UNAUTHENTICATED') unless the request carries a control token signed for this node
 *   and launch that has not expired (see verifyControlToken).
 */
export function checkControlToken(req: FastifyRequest, control: ControlTokenCheck): void {
  const got = req.headers.authorization;
  if (!control.key()) throw new InfrabaseError('UNAUTHENTICATED', 'agent has not joined yet');
  if (got === undefined || !got.startsWith('Bearer ')) {
    throw new InfrabaseError('UNAUTHENTICATED', 'this agent endpoint needs the control plane token');
  }
  verifyControlToken(got.slice(7).trim(), control);
}

/** SQLite identifier quoting: "name" with embedded quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

const TYPES = new Set(['INTEGER', 'REAL', 'TEXT', 'BLOB', 'NUMERIC']);

interface TableBody {
  table: string;
  columns: { name: string; type: string }[];
}

function tableBody(b: unknown): TableBody {
  const body = b as Partial<TableBody> | undefined;
  if (!body || typeof body.table !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(body.table)) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `table name ${JSON.stringify(body?.table)} is not accepted; use letters, digits and _ (not first), up to 128`,
    );
  }
  if (body.table.toLowerCase().startsWith('sys_')) {
    throw new InfrabaseError('INVALID_ARGUMENT', `table name '${body.table}' is reserved (sys_ prefix)`);
  }
  if (!Array.isArray(body.columns) || body.columns.length === 0) {
    throw new InfrabaseError('INVALID_ARGUMENT', 'columns must be a non-empty array of {name, type}');
  }
  for (const c of body.columns) {
    if (typeof c?.name !== 'string' || c.name.length === 0 || !TYPES.has(c.type)) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `column ${JSON.stringify(c)} is not accepted; need a name and a type of ${[...TYPES].join(', ')}`,
      );
    }
  }
  return body as TableBody;
}

/**
 * The node agent's shard API, for the control plane only (bearer control token):
 * - `POST /v1/shard/tables` `{table, columns: [{name, type}]}` → (re)creates the table, empty;
 * - `POST /v1/shard/rows` `{table, columns: string[], rows: unknown[][]}` → `{inserted}`, in one transaction;
 * - `POST /v1/shard/query` `{sql, timeoutMs?}` → `{columns, rows}`: one read-only statement on the shard
 *   (writes are refused with 403), BLOBs as `{"$base64": …}`, run by `userSql` so that past its time limit
 *   (504 `TIMEOUT`) it is killed while the agent goes on heartbeating.
 */
export function shardRoutes(options: UserSqlRouteOptions): FastifyPluginAsync {
  const { shard } = options;
  return async (app) => {
    const guarded = { bodyLimit: AGENT_BODY_LIMIT };
    app.post('/v1/shard/tables', guarded, async (req) => {
      checkControlToken(req, options.controlToken);
      const { table, columns } = tableBody(req.body);
      const cols = columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ');
      shard.transaction(() => {
        shard.exec(`DROP TABLE IF EXISTS ${quoteIdent(table)}`);
        shard.exec(`CREATE TABLE ${quoteIdent(table)} (${cols})`);
      })();
      return { table, columns: columns.length };
    });
    app.post('/v1/shard/rows', guarded, async (req) => {
      checkControlToken(req, options.controlToken);
      const body = req.body as { table?: string; columns?: string[]; rows?: unknown[][] };
      const { table } = tableBody({ ...body, columns: [{ name: 'x', type: 'TEXT' }] });
      if (!Array.isArray(body.columns) || !Array.isArray(body.rows)) {
        throw new InfrabaseError('INVALID_ARGUMENT', 'rows body needs columns (names) and rows (arrays)');
      }
      const names = body.columns.map(quoteIdent).join(', ');
      const marks = body.columns.map(() => '?').join(', ');
      const insert = shard.prepare(`INSERT INTO ${quoteIdent(table)} (${names}) VALUES (${marks})`);
      const width = body.columns.length;
      shard.transaction(() => {
        body.rows!.forEach((row, i) => {
          if (!Array.isArray(row) || row.length !== width) {
            throw new InfrabaseError(
              'INVALID_ARGUMENT',
              `row ${i} has ${Array.isArray(row) ? row.length : 'no'} values; expected ${width}`,
            );
          }
          insert.run(...row);
        });
      })();
      return { inserted: body.rows.length };
    });
    app.post('/v1/shard/query', guarded, async (req) => {
      checkControlToken(req, options.controlToken);
      const { sql, timeoutMs } = (req.body ?? {}) as { sql?: unknown; timeoutMs?: unknown };
      if (typeof sql !== 'string' || sql.trim() === '') {
        throw new InfrabaseError(
          'INVALID_ARGUMENT',
          'body must be {"sql": "<one read-only statement>", "timeoutMs"?: <ms>}',
        );
      }
      const r = await options.userSql.execute({ sql, readOnly: true, timeoutMs: timeoutMs as number });
      return { columns: r.columns, rows: r.rows.map((row) => row.map(encodeValue)) };
    });
  };
}
