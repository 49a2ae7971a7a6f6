import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ApiTokens } from '../auth/index.js';
import type { Config } from '../config/index.js';
import { PgCatalog } from './catalog/index.js';
import { PgServer } from './pg-server.js';
import { loadPgParser } from './pg-syntax.js';
import type { StatementRunner } from './session.js';
import { loadTlsMaterial } from './tls.js';

/** The default Postgres protocol port (5432 is left to a real Postgres on the same machine). */
export const DEFAULT_PG_PORT = 5433;

/**
 * Where the Postgres endpoint listens: `postgres.host`, default the HTTP API's host; `postgres.port`, default
 * 5433, or 0 (a free port) when the API's port is 0 so that ephemeral control planes (tests) never collide.
 */
export function pgListenAddress(config: Pick<Config, 'host' | 'port' | 'postgres'>): {
  host: string;
  port: number;
} {
  return {
    host: config.postgres.host ?? config.host,
    port: config.postgres.port ?? (config.port === 0 ? 0 : DEFAULT_PG_PORT),
  };
}

/** A listening Postgres endpoint. */
export interface PgEndpoint {
  readonly host: string;
  readonly port: number;
  /** The certificate file offered for TLS, and whether this start generated it. */
  readonly tls: { readonly certFile: string; readonly generated: boolean };
  close(): Promise<void>;
}

export interface PgEndpointOptions {
  readonly config: Config;
  readonly tokens: ApiTokens;
  /** The SQL worker pool (`POST /v1/sql`'s path). */
  readonly runner: StatementRunner;
  readonly registry: Registry;
  readonly logger: Logger;
}

/**
 * Starts the Postgres protocol endpoint as `config.postgres` says: on `postgres.host` (default the API's host)
 * and `postgres.port` (default 5433; a free port when the API's port is 0), with TLS from the configured files
 * or a self-signed certificate in the data dir.
 * @throws InfrabaseError `INVALID_ARGUMENT` for unusable TLS files; the listen error when the port is taken.
 */
export async function startPgEndpoint(options: PgEndpointOptions): Promise<PgEndpoint> {
  const { config } = options;
  const tls = await loadTlsMaterial(config.dataDir, config.postgres.tls);
  await loadPgParser();
  const server = new PgServer({
    ...pgListenAddress(config),
    tokens: options.tokens,
    runner: options.runner,
    catalog: new PgCatalog(),
    tls: { key: tls.key, cert: tls.cert },
    requireTls: config.postgres.tls.required,
    logger: options.logger,
    registry: options.registry,
  });
  const address = await server.listen();
  return {
    ...address,
    tls: { certFile: tls.certFile, generated: tls.generated },
    close: () => server.close(),
  };
}
