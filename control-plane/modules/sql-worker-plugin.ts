/**
 * The SQL worker plug-in of the control plane's SQL pool (engine/sql-pool/worker-plugin.ts), imported by each
 * worker process as it starts: ml's PREDICT plug-in (functions, usage, `predict` settings) plus the Postgres
 * catalog emulation as a statement handler. Workers import this file, so it must stay free of process state.
 */
import type { SqlWorkerPlugin } from '../../engine/index.js';
import { predictWorkerPlugin } from '../../ml/index.js';
import { type CatalogContext, PG_CATALOG_HANDLER, runCatalogStatement } from '../pg/catalog/index.js';

const plugin: SqlWorkerPlugin = {
  ...predictWorkerPlugin,
  handlers: {
    [PG_CATALOG_HANDLER]: (db, statement, context) =>
      runCatalogStatement(db, statement.sql, statement.params, context as CatalogContext, statement.mode),
  },
};

export default plugin;
