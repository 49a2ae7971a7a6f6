export { HASH_SPACE, shardForHash, shardForValue, shardHash, shardHashRange } from './hash.js';
export {
  type PlacementPlan,
  type PlannedMove,
  type PlannerNode,
  type PlannerPlacement,
  type PlannerShard,
  planPlacements,
  shardKey,
} from './placement-planner.js';
export {
  DistributedStore,
  type MoveRow,
  type PlacementRow,
  type ShardRow,
  shardStatus,
  type TableRow,
} from './store.js';
export type { ColumnSpec, DistributedTable, ShardQueryResult, ShardReader } from './types.js';
