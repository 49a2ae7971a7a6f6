/**
 * Sharded user tables: loading a CSV over the ready data nodes (hash or round-robin), `sys_tables`
 * bookkeeping, and read-only SQL on every data node (`POST /v1/sql/cluster`).
 */

export { DataLayer, type DataLayerOptions } from './data-layer.js';
export { distributedRoutes, type ShardsQueryReply } from './distributed-routes.js';
export { distributedSqlWrites } from './distributed-sql.js';
export { HttpPlacementTransport } from './http-placement-transport.js';
export { type LoadCsvOptions, type LoadCsvResult, loadCsv, ROW_ID_COLUMN } from './load-csv.js';
export {
  type LoadDistributedOptions,
  type LoadDistributedResult,
  loadDistributedCsv,
} from './load-distributed.js';
export {
  type ClusterSqlReply,
  type CreateTableBody,
  type RowsBody,
  type TableRoutesOptions,
  tableRoutes,
} from './routes.js';
