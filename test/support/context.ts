import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { type ConfigInput, configSchema } from '../../control-plane/config/index.js';
import {
  type ControlPlaneContext,
  clusterIdOf,
  createControlPlaneContext,
} from '../../control-plane/index.js';
import { ChangeFeed, type Clock, type Database, openDatabase, systemClock } from '../../engine/index.js';

export interface TestContextOptions {
  /** The control plane's data dir (a temp dir of the test): `config.dataDir`, the node-token key, the cluster id. */
  readonly dataDir: string;
  /** Settings over the defaults; `dataDir` is always the one above. */
  readonly config?: ConfigInput;
  /** Default the system clock. */
  readonly clock?: Clock;
  /** The control plane's own base URL, once it listens. Default `http://127.0.0.1:0`. */
  readonly url?: () => string;
}

/** A context with the database and change feed it opened; `close` closes both. */
export interface TestContext {
  readonly ctx: ControlPlaneContext;
  close(): void;
}

/**
 * The one {@link ControlPlaneContext} a control plane builds (`createControlPlaneContext`: node tokens with the
 * configured TTL, the `sys_nodes` store, mesh membership), for routes and modules tested without starting one:
 * a migrated `infrabase.db` in `dataDir`, its change feed (not started; start it to drive the reconciler), a
 * fresh registry and a silent logger.
 */
export function testControlPlaneContext(options: TestContextOptions): TestContext {
  const dbPath = join(options.dataDir, 'infrabase.db');
  const db: Database = openDatabase(dbPath, { migrate: true });
  const feed = new ChangeFeed(dbPath);
  const ctx = createControlPlaneContext({
    config: configSchema.parse({ ...options.config, dataDir: options.dataDir }),
    clusterId: clusterIdOf(options.dataDir),
    dbPath,
    db,
    feed,
    registry: new Registry(),
    logger: pino({ level: 'silent' }),
    clock: options.clock ?? systemClock,
    url: options.url ?? (() => 'http://127.0.0.1:0'),
  });
  return {
    ctx,
    close() {
      feed.close();
      db.close();
    },
  };
}
