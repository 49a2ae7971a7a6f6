import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { NodeStore, NodeTokens } from '../autoinfra/index.js';
import type { ChangeFeed, Clock, Database, EngineExtension, ShardReader } from '../engine/index.js';
import type { MeshMembership } from '../network/index.js';
import type { Config } from './config/index.js';

/**
 * What the control-plane process hands to each long-running service and route plugin: the base it starts
 * from ({@link ControlPlaneBase}) and the shared parts built once from it by `createControlPlaneContext`.
 */
export interface ControlPlaneContext extends ControlPlaneBase {
  /** The node token signer (key in `<dataDir>/node-tokens.key`, node tokens live `reconciler.nodeTokenTtlMs`). */
  readonly nodeTokens: NodeTokens;
  /** The writer of `sys_nodes` (autoinfra's store), on {@link ControlPlaneBase.db}. */
  readonly nodes: NodeStore;
  /** The WireGuard mesh membership, shared by the join/heartbeat routes and the hub service. */
  readonly mesh: MeshMembership;
}

/** What a control plane is started from: configuration, database, change feed, registry, logger, clock. */
export interface ControlPlaneBase {
  readonly config: Config;
  /** This cluster's id (persisted in the data dir); the value of the ownership tag on every instance. */
  readonly clusterId: string;
  /** Absolute path of the SQLite file. */
  readonly dbPath: string;
  /** The main process's writer connection. Never await inside one of its transactions. */
  readonly db: Database;
  readonly feed: ChangeFeed;
  /** This process's metrics registry (never prom-client's global one). */
  readonly registry: Registry;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The control plane's own base URL, e.g. `http://127.0.0.1:7420`, once it listens. */
  readonly url: () => string;
}

/**
 * A background loop of the control plane (reconciler, metrics sampler, training coordinator, …).
 * `start` must return promptly; `stop` must end every timer and child it owns.
 */
export interface Service {
  readonly name: string;
  start(ctx: ControlPlaneContext): Promise<void> | void;
  stop(): Promise<void> | void;
}

/** See {@link ControlPlaneModule.sqlWrites}. `admin` is whether the caller holds the admin token. */
export type SqlWriteRouter = (
  sql: string,
  params: unknown[] | Record<string, unknown>,
  admin: boolean,
) => Promise<{ changes: number } | undefined>;

/** A module's contribution to the control plane: engine extensions, services and HTTP routes. */
export interface ControlPlaneModule {
  readonly name: string;
  /** Registered on every connection that runs user SQL, in the main process and the SQL workers. */
  readonly extensions?: readonly EngineExtension[];
  readonly services?: (ctx: ControlPlaneContext) => readonly Service[];
  /**
   * Takes `POST /v1/sql` statements that write distributed tables (the data layer); answers `undefined` for
   * every other statement, which then runs in the SQL worker pool as before.
   */
  readonly sqlWrites?: (ctx: ControlPlaneContext) => SqlWriteRouter;
  /**
   * The shard reader `POST /v1/sql` plans reads of distributed tables with (the data layer's); called per
   * statement, undefined while there is none.
   */
  readonly shardReader?: (ctx: ControlPlaneContext) => () => ShardReader | undefined;
  /** Fastify plugins, registered under the API's auth hook. */
  readonly routes?: (ctx: ControlPlaneContext) => readonly FastifyPluginAsync[];
}
