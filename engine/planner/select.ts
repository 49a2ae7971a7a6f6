/**
 * Plans one query (SELECT, compound, subquery) over distributed and reference tables into a
 * {@link QueryPlan}: a SELECT whose relations all live on the shards is pushed down (rows, or partial
 * aggregates), one over merged subqueries runs on the control plane, and anything else is refused.
 * @internal
 */
import type { DistributedTable } from '../distributed/index.js';
import { aggregateCalls, planAggregate } from './aggregate.js';
import {
  type AstNode,
  clause,
  columnRef,
  isNode,
  listItems,
  opName,
  render,
  type SourceText,
  type Sql,
  sql,
  walk,
} from './ast.js';
import { limitSql, limitValues, selectItems } from './items.js';
import type { BranchTopK, QueryPlan } from './plan.js';
import { type AffinityConverter, prunedShards } from './prune.js';
import { refuse } from './refuse.js';
import { passThrough, planRows } from './rows.js';
import { analyzeFrom, checkColocated, type FromAnalysis, type Source } from './sources.js';

/** What planning one statement shares. */
export interface PlanContext {
  readonly tables: ReadonlyMap<string, DistributedTable>;
  readonly src: SourceText;
  readonly params: readonly unknown[];
  readonly convert: AffinityConverter;
  /** A fresh merge-table name. */
  nextTable(): string;
}

/** Names of the tables a statement reads anywhere (FROM items of it and of all its subqueries). */
export function tablesRead(node: AstNode): string[] {
  const names: string[] = [];
  const fromItem = (n: AstNode): void => {
    if (n.type === 'join_expr') {
      fromItem(n.left as AstNode);
      fromItem(n.right as AstNode);
    } else if (n.type === 'alias') fromItem(n.expr as AstNode);
    else if (n.type === 'paren_expr' && isNode(n.expr)) {
      if (n.expr.type === 'join_expr') fromItem(n.expr);
      else names.push(...tablesRead(n.expr));
    } else if (n.type === 'identifier' || n.type === 'member_expr') {
      const r = columnRef(n);
      if (r) names.push(r.column);
    }
  };
  walk(node, (n) => {
    if (n.type === 'from_clause') fromItem(n.expr as AstNode);
    return true;
  });
  return names;
}

/** Plans a query expression: a SELECT, a compound of SELECTs or a parenthesised one. */
export function planQuery(node: AstNode, ctx: PlanContext): QueryPlan {
  if (node.type === 'paren_expr' && isNode(node.expr)) return planQuery(node.expr, ctx);
  if (node.type === 'compound_select_stmt') return planCompound(node, ctx);
  if (node.type === 'select_stmt') return planSelect(node, ctx, true);
  const kind = node.type
    .replace(/_stmt$/, '')
    .replaceAll('_', ' ')
    .toUpperCase();
  throw refuse(`${kind} statements (only SELECT is planned across shards)`);
}

/** UNION [ALL] / INTERSECT / EXCEPT: each branch answered, combined on the control plane. */
function planCompound(node: AstNode, ctx: PlanContext): QueryPlan {
  const branches: AstNode[] = [];
  const ops: string[] = [];
  const flatten = (n: AstNode): void => {
    if (n.type === 'compound_select_stmt') {
      flatten(n.left as AstNode);
      ops.push(opName({ type: 'x', operator: n.operator }));
      flatten(n.right as AstNode);
    } else branches.push(n);
  };
  flatten(node);
  const last = branches[branches.length - 1];
  const order = last.type === 'select_stmt' ? clause(last, 'order_by_clause') : undefined;
  const limitClause = last.type === 'select_stmt' ? clause(last, 'limit_clause') : undefined;
  const { limit, offset } = limitValues(limitClause, ctx.src, ctx.params);
  // ORDER BY … LIMIT k of the compound bounds each branch to its own top k + offset.
  // Only positions: a name may denote different columns in different branches.
  const positional =
    order !== undefined &&
    listItems(order.specifications).every((spec) => {
      let e = spec.type === 'sort_specification' ? (spec.expr as AstNode) : spec;
      if (e.type === 'binary_expr' && opName(e) === 'COLLATE') e = e.left as AstNode;
      return e.type === 'number_literal';
    });
  // Only UNION ALL: under UNION a branch's top k may hold duplicates and so too few distinct rows.
  const unionAll = ops.every((o) => o === 'UNION ALL');
  const topK =
    limit !== undefined && order && positional && unionAll ? { order, limit: limit + offset } : undefined;
  const plans = branches.map((b) => {
    if (b.type !== 'select_stmt') return planQuery(b, ctx);
    // No branch owns an ORDER BY/LIMIT: SQLite's grammar gives the last one's to the compound.
    return planSelect(b, ctx, false, topK);
  });
  const parts: Sql[] = plans.map((p, i) =>
    sql(i > 0 ? ` ${ops[i - 1]} ` : '', 'SELECT * FROM (', p.final, ')'),
  );
  const final = sql(...parts, order ? sql(' ', render(order, ctx.src)) : '', limitSql(limit, offset));
  return {
    fragments: plans.flatMap((p) => p.fragments),
    final,
    columns: plans[0].columns,
    steps: [
      ...plans.flatMap((p) => p.steps),
      `${[...new Set(ops)].join(', ')} of ${plans.length} branches on the control plane`,
    ],
  };
}

/** Subqueries of expressions (not FROM items) in a SELECT. */
function expressionSubqueries(select: AstNode, fromItems: ReadonlySet<AstNode>): AstNode[] {
  const found: AstNode[] = [];
  walk(select, (n) => {
    if (n === select) return true;
    if (fromItems.has(n)) return false;
    if (n.type === 'select_stmt' || n.type === 'compound_select_stmt') {
      found.push(n);
      return false;
    }
    return true;
  });
  return found;
}

function hasWindow(nodes: readonly AstNode[]): boolean {
  let found = false;
  for (const root of nodes) {
    walk(root, (n) => {
      if (n.type === 'select_stmt' && n !== root) return false;
      if (n.type === 'func_call' && n.over !== undefined) found = true;
      if (n.type === 'window_clause') found = true;
      return !found;
    });
  }
  return found;
}

/**
 * A FROM subquery: `local` when it runs whole on each shard (a plain filter/projection over relations of the
 * shards, or grouped by the shard key of its one distributed table), else `merged` (planned on its own).
 */
function classifySubquery(paren: AstNode, alias: string, ctx: PlanContext): Source {
  const sub = paren.expr as AstNode;
  const read = tablesRead(sub);
  if (!read.some((t) => ctx.tables.has(t))) {
    return { alias, kind: 'control', name: read[0] ?? 'subquery', node: paren, keyColumns: new Set() };
  }
  if (sub.type === 'select_stmt' && !clause(sub, 'with_clause')) {
    const fromClause = clause(sub, 'from_clause');
    const from = fromClause
      ? analyzeFrom(fromClause.expr as AstNode, ctx.tables, (p, a) => classifySubquery(p, a, ctx))
      : undefined;
    const onShards = from?.sources.every(
      (s) => s.kind === 'distributed' || s.kind === 'reference' || s.kind === 'local',
    );
    if (from && onShards && isLocalShape(sub, from)) {
      const where = clause(sub, 'where_clause')?.expr as AstNode | undefined;
      checkColocated(from, where);
      const items = selectItems(sub, from, ctx.src);
      const dist = from.sources.find((s) => s.group !== undefined);
      const keyColumns = new Set(
        items.flatMap((it) => {
          const ref = it.node ? columnRef(it.node) : undefined;
          const s = it.node
            ? from.sources.find((x) =>
                ref?.qualifier ? x.alias === ref.qualifier : x.keyColumns.has(ref?.column ?? ''),
              )
            : undefined;
          return ref && s?.keyColumns.has(ref.column) ? [it.name.toLowerCase()] : [];
        }),
      );
      return {
        alias,
        kind: 'local',
        name: alias || 'subquery',
        node: paren,
        columns: items.map((i) => ({ name: i.name, affinity: i.affinity })),
        keyColumns,
        group: dist?.group,
        shardCount: dist?.shardCount,
        referenceGroup: from.sources.find((s) => s.referenceGroup)?.referenceGroup,
      };
    }
  }
  const merged = planQuery(sub, ctx);
  return {
    alias,
    kind: 'merged',
    name: alias || 'subquery',
    node: paren,
    columns: merged.columns,
    keyColumns: new Set(),
    merged,
  };
}

/** A subquery whose rows on one shard never depend on another shard's rows. */
function isLocalShape(sub: AstNode, from: FromAnalysis): boolean {
  if (clause(sub, 'limit_clause') || clause(sub, 'window_clause')) return false;
  const selectClause = clause(sub, 'select_clause')!;
  if ((selectClause.modifiers as AstNode[]).some((m) => m.type === 'select_distinct')) return false;
  if (hasWindow([sub])) return false;
  const group = clause(sub, 'group_by_clause');
  const aggregates = aggregateCalls([
    selectClause,
    clause(sub, 'having_clause'),
    clause(sub, 'order_by_clause'),
  ]);
  if (!group && aggregates.length === 0 && !clause(sub, 'having_clause')) return true;
  // Grouped by the shard key of its only distributed relation: every group lies within one shard.
  const dist = from.sources.filter((s) => s.group !== undefined);
  if (!group || dist.length !== 1) return false;
  const keys =
    (group.columns as AstNode).type === 'list_expr'
      ? ((group.columns as AstNode).items as AstNode[])
      : [group.columns as AstNode];
  return keys.some((k) => {
    const ref = columnRef(k);
    if (!ref || !dist[0].keyColumns.has(ref.column)) return false;
    return ref.qualifier === undefined
      ? from.sources.filter((s) => s.columns?.some((c) => c.name.toLowerCase() === ref.column)).length === 1
      : ref.qualifier === dist[0].alias;
  });
}

/**
 * Plans one SELECT. `withOrderLimit` is false for a branch of a compound, whose ORDER BY/LIMIT
 * belong to the compound.
 */
export function planSelect(
  select: AstNode,
  ctx: PlanContext,
  withOrderLimit: boolean,
  topK?: BranchTopK,
): QueryPlan {
  if (clause(select, 'with_clause'))
    throw refuse(
      'WITH inside a subquery (a WITH at the top of the statement is inlined; write this one there or as a subquery in FROM)',
    );
  const fromClause = clause(select, 'from_clause');
  const from = fromClause
    ? analyzeFrom(fromClause.expr as AstNode, ctx.tables, (p, a) => classifySubquery(p, a, ctx))
    : undefined;
  const sources = from?.sources ?? [];
  const control = sources.find((s) => s.kind === 'control');
  const onShards = sources.filter(
    (s) => s.kind === 'distributed' || s.kind === 'reference' || s.kind === 'local',
  );
  const merged = sources.filter((s) => s.kind === 'merged');
  if (control && (onShards.length > 0 || merged.length > 0)) {
    const other = [...onShards, ...merged][0];
    throw refuse(
      `a statement that reads the distributed table or subquery ${other.name} and the control-plane table ${control.name}`,
    );
  }
  if (control)
    throw refuse(
      `a branch that reads only the control-plane table ${control.name} beside distributed tables`,
    );
  const fromItems = new Set(
    sources.filter((s) => s.kind !== 'distributed' && s.kind !== 'reference').map((s) => s.node),
  );
  const exprSubqueries = expressionSubqueries(select, fromItems);

  if (onShards.length === 0) return planOnControlPlane(select, from, merged, exprSubqueries, ctx);
  if (merged.length > 0) {
    throw refuse(
      `a join of ${onShards[0].name} with the subquery ${merged[0].name}, which must be merged first (aggregate, DISTINCT, LIMIT); ` +
        'joins run on the nodes only between co-located and reference tables',
    );
  }
  for (const sub of exprSubqueries) {
    const bad = tablesRead(sub).find((t) => ctx.tables.get(t)?.kind !== 'reference');
    if (bad) {
      throw refuse(
        `a subquery in an expression that reads ${ctx.tables.has(bad) ? 'the distributed' : 'the control-plane'} table ${bad} ` +
          '(subqueries in expressions may read reference tables only)',
      );
    }
  }
  if (hasWindow([select])) throw refuse('a window function over a distributed table');
  const where = clause(select, 'where_clause')?.expr as AstNode | undefined;
  checkColocated(from!, where);

  const items = selectItems(select, from, ctx.src);
  const dist = sources.find((s) => s.group !== undefined);
  const fromSql = render(fromClause!.expr as AstNode, ctx.src);
  const whereSql = where ? render(where, ctx.src) : undefined;
  const table = ctx.nextTable();
  if (!dist) {
    // Reference tables only: one placement answers the whole statement.
    const group = sources.find((s) => s.referenceGroup)?.referenceGroup;
    if (group === undefined) throw refuse('a statement that reads no table placed on the data nodes');
    return passThrough(select, items, group, withOrderLimit, table, ctx.src);
  }
  const shards =
    prunedShards(where, sources, ctx.src, ctx.params, ctx.convert) ??
    Array.from({ length: dist.shardCount! }, (_, i) => i);
  const selectClause = clause(select, 'select_clause')!;
  const isAggregate =
    clause(select, 'group_by_clause') !== undefined ||
    clause(select, 'having_clause') !== undefined ||
    aggregateCalls([selectClause, withOrderLimit ? clause(select, 'order_by_clause') : undefined]).length > 0;
  const input = {
    select,
    from: from!,
    items,
    src: ctx.src,
    params: ctx.params,
    group: dist.group!,
    shards,
    table,
    fromSql,
    whereSql,
    withOrderLimit,
  };
  return isAggregate ? planAggregate(input) : planRows(input, withOrderLimit ? undefined : topK);
}

/** A SELECT over merged subqueries only: it runs as written on the control plane. */
function planOnControlPlane(
  select: AstNode,
  from: FromAnalysis | undefined,
  merged: readonly Source[],
  exprSubqueries: readonly AstNode[],
  ctx: PlanContext,
): QueryPlan {
  for (const sub of exprSubqueries) {
    const t = tablesRead(sub)[0];
    if (t) {
      throw refuse(
        `a subquery in an expression that reads ${t} in a statement answered on the control plane ` +
          '(subqueries in expressions may read reference tables, in statements whose FROM reads distributed tables)',
      );
    }
  }
  const bySource = new Map(merged.map((s) => [s.node, s.merged as QueryPlan]));
  const final = render(select, ctx.src, (n) => {
    const p = bySource.get(n);
    return p ? sql('(', p.final, ')') : undefined;
  });
  let columns: { name: string; affinity: '' }[];
  try {
    columns = selectItems(select, from, ctx.src).map((i) => ({ name: i.name, affinity: '' }));
  } catch {
    columns = [];
  }
  return {
    fragments: [...bySource.values()].flatMap((p) => p.fragments),
    final,
    columns,
    steps: [
      ...[...bySource.values()].flatMap((p) => p.steps),
      'the outer SELECT over merged subqueries on the control plane',
    ],
  };
}
