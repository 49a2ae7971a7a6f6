/** The Postgres wire protocol endpoint: psql, drivers and BI tools reach infrabase's SQL path through it. */
export {
  DEFAULT_PG_PORT,
  type PgEndpoint,
  type PgEndpointOptions,
  pgListenAddress,
  startPgEndpoint,
} from './endpoint.js';
export { GENERATED_TLS_DIR } from './tls.js';
