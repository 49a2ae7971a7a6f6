import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import {
  ChangeFeed,
  type Clock,
  type Database,
  openDatabase,
  pruneChanges,
  systemClock,
} from '../engine/index.js';
import { createRegistry } from '../metrics/index.js';
import { ensureTokens } from './auth/index.js';
import { clusterIdOf } from './cluster-id.js';
import type { Config } from './config/index.js';
import { createLogger, type Logger } from './logger.js';
import { controlPlaneModules, userSqlExtensions } from './modules/index.js';
import { buildServer, sqlRoutes } from './server/index.js';
import type { ControlPlaneContext, ControlPlaneModule, Service } from './service.js';
import { SqlPool } from './sql-pool/index.js';

/** The database file inside the data dir. */
export const DB_FILE = 'infrabase.db';

export interface StartOptions {
  modules?: readonly ControlPlaneModule[];
  logger?: Logger;
  clock?: Clock;
}

/** A running control plane. */
export interface ControlPlane {
  readonly url: string;
  readonly context: ControlPlaneContext;
  /** Where the API tokens are, and whether they were created by this start (print them once). */
  readonly tokens: { admin: string; read: string; path: string; created: boolean };
  /** Stops services, the HTTP server, the SQL pool and the change feed; idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the control plane: the database in `config.dataDir` (migrated), API tokens, the change feed, the SQL
 * worker pool, the modules' services and the HTTP API on `config.host:config.port`.
 * @throws InfrabaseError when the data dir, the database or the port cannot be used.
 */
export async function startControlPlane(config: Config, options: StartOptions = {}): Promise<ControlPlane> {
  const logger = options.logger ?? createLogger(config.log.level);
  const clock = options.clock ?? systemClock;
  const modules = options.modules ?? controlPlaneModules();
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const { tokens, path: tokensPath, created } = ensureTokens(config.dataDir);
  const clusterId = clusterIdOf(config.dataDir);
  const dbPath = join(config.dataDir, DB_FILE);
  const extensions = [...userSqlExtensions(), ...modules.flatMap((m) => m.extensions ?? [])];

  const cleanups: (() => Promise<void> | void)[] = [];
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
    const pool = new SqlPool({
      dbPath,
      registry,
      size: config.sql.workers,
      defaultTimeoutMs: config.sql.timeoutMs,
      maxTimeoutMs: config.sql.maxTimeoutMs,
      logger,
    });
    cleanups.push(() => pool.close());
    await pool.start();

    let url = '';
    const context: ControlPlaneContext = {
      config,
      clusterId,
      dbPath,
      db,
      feed,
      registry,
      logger,
      clock,
      url: () => url,
    };
    const app: FastifyInstance = await buildServer({
      tokens,
      logger,
      routes: [
        sqlRoutes(pool, modules.find((m) => m.sqlWrites)?.sqlWrites?.(context)),
        ...modules.flatMap((m) => m.routes?.(context) ?? []),
      ],
    });
    cleanups.push(() => app.close());
    const address = await app.listen({ host: config.host, port: config.port });
    url = address;

    const services: Service[] = modules.flatMap((m) => m.services?.(context) ?? []);
    for (const service of services) {
      await service.start(context);
      cleanups.push(() => service.stop());
    }
    logger.info(
      { url, dataDir: config.dataDir, clusterId, services: services.map((s) => s.name) },
      'control plane up',
    );
    return { url, context, tokens: { ...tokens, path: tokensPath, created }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
