import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyPluginAsync } from 'fastify';
import type { ControlTokenCheck } from '../autoinfra/index.js';
import { evaluateWrite, InfrabaseError, type PlacementFiles, type SqlPool } from '../engine/index.js';
import { AGENT_BODY_LIMIT, checkControlToken } from './shard-routes.js';

export interface PlacementRouteOptions {
  readonly placements: PlacementFiles;
  /**
   * Runs the shard queries (`…/query`) in a worker process under a time limit, with PREDICT (a pool started
   * with placement-worker-main.js over the agent's data dir).
   */
  readonly placementSql: SqlPool;
  /** Where snapshots are written before they are sent or installed. */
  readonly tmpDir: string;
  /** How the agent checks the control plane's credential (see `AgentRouteOptions.controlToken`). */
  readonly controlToken: ControlTokenCheck;
}

/** Largest snapshot a node accepts, bytes (one placement file). */
export const SNAPSHOT_LIMIT = 16 * 1024 * 1024 * 1024;

type P = { Params: { group: string; shard: string } };
const shardOf = (s: string): number => {
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new InfrabaseError('INVALID_ARGUMENT', `shard must be an integer >= 0; got ${JSON.stringify(s)}`);
  }
  return n;
};

let snapshots = 0;

/**
 * The node agent's placement API (docs/distributed-tables.md), for the control plane only (bearer control
 * token, checked by `checkControlToken`). `:group/:shard` names a placement file `<data dir>/shards/<group>/<shard>.db`.
 * - `GET /v1/placements` → `{placements: [{colocationGroup, shard, epoch, lsn}]}`;
 * - `PUT /v1/placements/:group/:shard` `{epoch}` → position (creates it empty; idempotent);
 * - `DELETE /v1/placements/:group/:shard` → `{dropped: true}` (idempotent);
 * - `GET /v1/placements/:group/:shard` → position; `…/digest` → `{…position, checksum, rows, bytes, tables}`;
 * - `POST …/apply` WriteBatch → `{outcome: 'applied' | 'duplicate'}`; 409 `CONFLICT` on a stale epoch or a gap;
 * - `GET …/log?after=N` → `{batches}` (409 when trimmed);
 * - `GET …/snapshot` → the placement file as `application/octet-stream`, a consistent copy made with the
 *   backup API; `PUT …/snapshot` (octet-stream body) installs one → position;
 * - `POST …/query` `{sql, params, timeoutMs?}` → `{columns, rows}`: one read-only statement, reference tables
 *   attached, `PREDICT` with the node's model copies, run by `placementSql` (504 `TIMEOUT` past its limit);
 * - `POST …/evaluate` `{sql, params, shardKeys}` → `{ops}`: the row images an UPDATE/DELETE would make.
 */
export function placementRoutes(options: PlacementRouteOptions): FastifyPluginAsync {
  const { placements } = options;
  return async (app) => {
    app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
    app.addHook('onRequest', async (req) => {
      checkControlToken(req, options.controlToken);
    });
    const guarded = { bodyLimit: AGENT_BODY_LIMIT };
    app.get('/v1/placements', async () => ({ placements: placements.list() }));
    app.put<P & { Body: { epoch?: number } }>('/v1/placements/:group/:shard', async (req) => {
      const epoch = Number(req.body?.epoch ?? 0);
      return placements.create(req.params.group, shardOf(req.params.shard), epoch);
    });
    app.delete<P>('/v1/placements/:group/:shard', async (req) => {
      placements.drop(req.params.group, shardOf(req.params.shard));
      return { dropped: true };
    });
    app.get<P>('/v1/placements/:group/:shard', async (req) =>
      placements.get(req.params.group, shardOf(req.params.shard)).position(),
    );
    app.get<P>('/v1/placements/:group/:shard/digest', async (req) => {
      const f = placements.get(req.params.group, shardOf(req.params.shard));
      return { ...f.position(), ...f.checksum(), bytes: f.bytes(), tables: f.tables() };
    });
    app.post<P>('/v1/placements/:group/:shard/apply', guarded, async (req) => ({
      outcome: placements.get(req.params.group, shardOf(req.params.shard)).apply(req.body),
    }));
    app.get<P & { Querystring: { after?: string } }>('/v1/placements/:group/:shard/log', async (req) => ({
      batches: placements
        .get(req.params.group, shardOf(req.params.shard))
        .logSince(Number(req.query.after ?? 0)),
    }));
    app.get<P>('/v1/placements/:group/:shard/snapshot', async (req, reply) => {
      const tmp = join(options.tmpDir, `snapshot-${process.pid}-${++snapshots}.db`);
      try {
        const snap = await placements.snapshot(req.params.group, shardOf(req.params.shard), tmp);
        const body = createReadStream(tmp);
        body.on('close', () => rmSync(tmp, { force: true }));
        reply.header('content-type', 'application/octet-stream').header('x-infrabase-lsn', String(snap.lsn));
        return reply.send(body);
      } catch (err) {
        rmSync(tmp, { force: true });
        throw err;
      }
    });
    app.put<P>('/v1/placements/:group/:shard/snapshot', { bodyLimit: SNAPSHOT_LIMIT }, async (req) => {
      const tmp = join(options.tmpDir, `install-${process.pid}-${++snapshots}.db`);
      try {
        await pipeline(req.body as Readable, createWriteStream(tmp));
        return placements.install(req.params.group, shardOf(req.params.shard), tmp);
      } finally {
        rmSync(tmp, { force: true });
      }
    });
    app.post<P & { Body: { sql?: unknown; params?: unknown; timeoutMs?: unknown } }>(
      '/v1/placements/:group/:shard/query',
      guarded,
      async (req) => {
        if (typeof req.body?.sql !== 'string') {
          throw new InfrabaseError(
            'INVALID_ARGUMENT',
            'body must be {"sql": "<one read-only statement>", "params"?: [...], "timeoutMs"?: <ms>}',
          );
        }
        const group = req.params.group;
        const shard = shardOf(req.params.shard);
        placements.path(group, shard); // refuses a group or shard that is not accepted, before any worker runs
        const r = await options.placementSql.execute({
          sql: req.body.sql,
          params: (req.body.params ?? []) as unknown[],
          readOnly: true,
          timeoutMs: req.body.timeoutMs as number | undefined,
          placement: { group, shard },
        });
        return { columns: r.columns, rows: r.rows };
      },
    );
    app.post<P & { Body: { sql?: unknown; params?: unknown[]; shardKeys?: Record<string, string> } }>(
      '/v1/placements/:group/:shard/evaluate',
      guarded,
      async (req) => {
        if (typeof req.body?.sql !== 'string') {
          throw new InfrabaseError(
            'INVALID_ARGUMENT',
            'body must be {"sql": "<UPDATE or DELETE>", "params"?: [...], "shardKeys": {...}}',
          );
        }
        const f = placements.get(req.params.group, shardOf(req.params.shard));
        const ops = evaluateWrite(
          f,
          req.body.sql,
          req.body.params ?? [],
          new Map(Object.entries(req.body.shardKeys ?? {})),
        );
        return { ops };
      },
    );
  };
}
