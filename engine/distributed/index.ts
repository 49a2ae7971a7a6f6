export { HASH_SPACE, shardForHash, shardForValue, shardHash, shardHashRange } from './hash.js';
export type { ColumnSpec, DistributedTable, ShardQueryResult, ShardReader } from './types.js';
