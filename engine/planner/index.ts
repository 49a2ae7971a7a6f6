/**
 * The distributed query planner: a SELECT over distributed and reference tables answered as one table
 * (pushdown to one in-sync placement per shard, merge on the control plane). See docs/distributed-queries.md.
 */

export { statementSyntaxKind } from './parse.js';
export type { DistributedPlan, DistributedPlannerOptions } from './planner.js';
export { DistributedPlanner, readsDistributedTable } from './planner.js';
export { SUPPORTED_SHAPES } from './refuse.js';
export { type SplitStatements, splitStatements } from './split.js';
export type { FunctionCallSyntax, ResultColumnSyntax, StatementSyntax } from './statement-syntax.js';
export { statementSyntax } from './statement-syntax.js';
