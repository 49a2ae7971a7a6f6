export { coerceValue, inferColumnTypes } from './column-types.js';
export { ShardCoordinator, type WriteResult } from './coordinator.js';
export {
  CREATE_TIMEOUT_MS,
  type CreateSpec,
  createDistributedTable,
  freeTableName,
  type TableCatalog,
} from './create-table.js';
export { type DataLayerSettings, DistributedDataLayer } from './data-layer.js';
export { evaluateWrite } from './evaluate-write.js';
export { HASH_SPACE, shardForHash, shardForValue, shardHash, shardHashRange } from './hash.js';
export { LocalPlacementTransport } from './local-transport.js';
export {
  type ApplyOutcome,
  DEFAULT_LOG_RETENTION,
  PlacementFile,
  type PlacementPosition,
} from './placement-file.js';
export {
  MODELS_SCHEMA,
  PlacementFiles,
  type PlacementQueryExtensions,
  REFERENCE_GROUP,
} from './placement-files.js';
export {
  type PlacementPlan,
  type PlannedMove,
  type PlannerNode,
  type PlannerPlacement,
  type PlannerShard,
  planPlacements,
  shardKey,
} from './placement-planner.js';
export { type PrimaryShard, planPrimaries } from './primary-balance.js';
export { queryShards, type ShardsQueryResult } from './query-shards.js';
export { ByteRateLimiter } from './rate-limiter.js';
export {
  type DataNodeRow,
  dataNodeState,
  Rebalancer,
  type RebalancerOptions,
  type TerminationVerdict,
} from './rebalancer.js';
export { planSqlWrite, type SqlWritePlan } from './sql-write.js';
export {
  DistributedCatalogReader,
  DistributedStore,
  type MoveRow,
  type PlacementRow,
  type ShardRow,
  shardStatus,
  type TableDefinition,
  type TableRow,
} from './store.js';
export type { PlacementDigest, PlacementTransport } from './transport.js';
export type { ColumnSpec, DistributedTable, ShardQueryResult, ShardReader } from './types.js';
export { isPlainName, validateBatch, type WriteBatch, type WriteOp } from './write-batch.js';
export { classifyRead, classifyWrite, type DistributedWrite } from './write-statement.js';
