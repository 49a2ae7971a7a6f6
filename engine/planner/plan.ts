/**
 * What the planner produces: statements for the shards (fragments) whose rows are loaded into merge tables,
 * and one final statement over those tables on the control plane.
 * @internal
 */
import type { AstNode, Sql } from './ast.js';
import type { Affinity, OutColumn } from './sources.js';

/**
 * How one value column of a fragment is loaded: `companion` values are followed in the shard's row by their
 * `typeof()` (so an INTEGER stays an integer and a REAL a real across any transport); `integer` and `real`
 * are known types; `as-is` is bound as received.
 */
export type LoadType = 'companion' | 'integer' | 'real' | 'as-is';

/** A column of a merge table. */
export interface MergeColumn {
  readonly name: string;
  readonly affinity: Affinity;
  readonly load: LoadType;
}

/** One statement run on one placement of each of `shards` of `group`, its rows loaded into `table`. */
export interface Fragment {
  readonly group: string;
  readonly shards: readonly number[];
  readonly sql: Sql;
  readonly table: string;
  readonly columns: readonly MergeColumn[];
}

/** A relation answered on the control plane: fragments, then `final` over their merge tables. */
export interface QueryPlan {
  readonly fragments: readonly Fragment[];
  readonly final: Sql;
  readonly columns: readonly OutColumn[];
  /** Human-readable merge steps, for EXPLAIN. */
  readonly steps: readonly string[];
}

/** A compound's ORDER BY … LIMIT, applied to each of its branches as a bound. */
export interface BranchTopK {
  readonly order: AstNode;
  readonly limit: number;
}
