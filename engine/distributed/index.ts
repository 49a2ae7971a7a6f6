export { HASH_SPACE, shardForHash, shardForValue, shardHash, shardHashRange } from './hash.js';
export {
  DistributedStore,
  type MoveRow,
  type PlacementRow,
  type ShardRow,
  shardStatus,
  type TableRow,
} from './store.js';
export type { ColumnSpec, DistributedTable, ShardQueryResult, ShardReader } from './types.js';
