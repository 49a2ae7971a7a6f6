import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ShardReader } from '../engine/index.js';
import {
  ChangeFeed,
  type Clock,
  type Database,
  DistributedPlanner,
  openDatabase,
  pruneChanges,
  systemClock,
} from '../engine/index.js';
import { createRegistry } from '../metrics/index.js';
import { setModelLimits, setNativeBatching } from '../ml/index.js';
import { ensureTokens } from './auth/index.js';
import { clusterIdOf } from './cluster-id.js';
import type { Config } from './config/index.js';
import { createControlPlaneContext } from './context.js';
import { acquireDataDirLock, assertDataDirFree } from './data-dir-lock.js';
import { secureDataDir } from './data-dir-modes.js';
import { createLogger, type Logger } from './logger.js';
import { controlPlaneModules, userSqlExtensions, userSqlPool } from './modules/index.js';
import { cloudReachabilityWarning } from './nodes/index.js';
import { type PgEndpoint, startPgEndpoint } from './pg/index.js';
import { bindHttpServer, buildServer, sqlRoutes } from './server/index.js';
import type { ControlPlaneContext, ControlPlaneModule, Service } from './service.js';
import { UserStatements } from './user-statements.js';

/** The database file inside the data dir. */
export const DB_FILE = 'infrabase.db';

export interface StartOptions {
  modules?: readonly ControlPlaneModule[];
  /**
   * The data layer's reader of shard placements; with one, `POST /v1/sql` plans statements over distributed
   * tables across shards (docs/distributed-queries.md). Called per statement: undefined means none yet.
   * Default: the one a module provides ({@link ControlPlaneModule.shardReader}).
   */
  shardReader?: () => ShardReader | undefined;
  logger?: Logger;
  clock?: Clock;
}

/** A running control plane. */
export interface ControlPlane {
  readonly url: string;
  /** The Postgres protocol endpoint, unless `postgres.enabled` is false. */
  readonly postgres?: PgEndpoint;
  readonly context: ControlPlaneContext;
  /** What the operator should know at start (each also logged at warn), e.g. a cloud provider nodes cannot join. */
  readonly warnings: readonly string[];
  /** Where the API tokens are, and whether they were created by this start (print them once). */
  readonly tokens: { admin: string; read: string; path: string; created: boolean };
  /** Stops services, the HTTP server, the SQL pool and the change feed; idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the control plane: binds `config.host:config.port` first (a busy port fails with nothing created),
 * takes the data dir's exclusive lock (one control plane per data dir), forces the dir to 0700 and its database
 * files to 0600, then the database in `config.dataDir` (migrated), API tokens, the change feed, the SQL worker
 * pool, the modules' services and the HTTP API on the bound port and the Postgres
 * protocol endpoint (`config.postgres`).
 * @throws InfrabaseError `ALREADY_EXISTS` when a live control plane holds the data dir (its pid and URL named),
 *   `UNAVAILABLE` when the port cannot be bound; others when the data dir or the database cannot be used.
 */
export async function startControlPlane(config: Config, options: StartOptions = {}): Promise<ControlPlane> {
  const logger = options.logger ?? createLogger(config.log.level);
  const clock = options.clock ?? systemClock;
  const modules = options.modules ?? controlPlaneModules();
  assertDataDirFree(config.dataDir); // the usual refusal, before even the port is touched
  const bound = await bindHttpServer(config.host, config.port);
  const url = bound.url;

  const cleanups: (() => Promise<void> | void)[] = [() => bound.close()];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (err) {
        logger.error({ err }, 'error while stopping');
      }
    }
  };

  try {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    cleanups.push(acquireDataDirLock(config.dataDir, url));
    secureDataDir(config.dataDir, DB_FILE);
    const { tokens, path: tokensPath, created } = ensureTokens(config.dataDir);
    const clusterId = clusterIdOf(config.dataDir);
    const dbPath = join(config.dataDir, DB_FILE);
    // PREDICT's settings: in this process (imports validate here; its connection batches) and, passed at fork,
    // in every SQL worker.
    setModelLimits({ maxTensorBytes: config.predict.maxTensorBytes });
    setNativeBatching(config.predict.nativeBatching);
    const extensions = [...userSqlExtensions(), ...modules.flatMap((m) => m.extensions ?? [])];
    const db: Database = openDatabase(dbPath, { role: 'main', migrate: true, extensions });
    cleanups.push(() => {
      db.close();
    });
    const feed = new ChangeFeed(dbPath).start();
    cleanups.push(() => feed.close());
    const pruneTimer = setInterval(() => {
      try {
        pruneChanges(db, clock.now());
      } catch (err) {
        // A throw in a timer would end the process; a missed prune is retried a minute later.
        logger.warn({ err }, 'pruning sys_changes failed');
      }
    }, 60_000);
    pruneTimer.unref();
    cleanups.push(() => clearInterval(pruneTimer));

    const registry = createRegistry();
    const pool = userSqlPool({
      dbPath,
      registry,
      size: config.sql.workers,
      defaultTimeoutMs: config.sql.timeoutMs,
      maxTimeoutMs: config.sql.maxTimeoutMs,
      logger,
      predict: config.predict,
    });
    cleanups.push(() => pool.close());
    await pool.start();

    let postgres: PgEndpoint | undefined;
    const context: ControlPlaneContext = createControlPlaneContext({
      config,
      clusterId,
      dbPath,
      db,
      feed,
      registry,
      logger,
      clock,
      url: () => url,
    });
    const shardReader = options.shardReader ?? modules.find((m) => m.shardReader)?.shardReader?.(context);
    const distributedSql = shardReader
      ? {
          reader: shardReader,
          planner: new DistributedPlanner(),
          timeouts: { defaultTimeoutMs: config.sql.timeoutMs, maxTimeoutMs: config.sql.maxTimeoutMs },
        }
      : undefined;
    if (distributedSql) cleanups.push(() => distributedSql.planner.close());
    // One path for a user statement, from HTTP or Postgres alike.
    const statements = new UserStatements(
      pool,
      distributedSql,
      modules.find((m) => m.sqlWrites)?.sqlWrites?.(context),
    );
    const app: FastifyInstance = await buildServer({
      tokens,
      logger,
      routes: [sqlRoutes(statements), ...modules.flatMap((m) => m.routes?.(context) ?? [])],
      bound,
      bodyLimit: config.http.bodyLimitBytes,
    });
    cleanups.push(() => app.close());
    if (config.postgres.enabled) {
      postgres = await startPgEndpoint({ config, tokens, runner: statements, registry, logger });
      cleanups.push(() => postgres?.close());
    }

    const services: Service[] = modules.flatMap((m) => m.services?.(context) ?? []);
    for (const service of services) {
      await service.start(context);
      cleanups.push(() => service.stop());
    }
    const warnings = [cloudReachabilityWarning(config, url)].filter((w) => w !== undefined);
    for (const warning of warnings) logger.warn(warning);
    logger.info(
      {
        url,
        postgres: postgres && `${postgres.host}:${postgres.port}`,
        dataDir: config.dataDir,
        clusterId,
        services: services.map((s) => s.name),
      },
      'control plane up',
    );
    return { url, postgres, context, warnings, tokens: { ...tokens, path: tokensPath, created }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
