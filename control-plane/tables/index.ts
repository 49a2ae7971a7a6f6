/**
 * User tables on the data nodes, the control plane's side: HTTP routes as thin adapters over the data layer
 * (engine/distributed: create, insert, modify, all-shard reads, SQL writes) and the per-node layout
 * (engine/per-node), read-only SQL on every data node (`POST /v1/sql/cluster`), the data layer as a service
 * with its HTTP transport to the agents, and the CSV loaders `infrabase load` runs as API clients.
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
