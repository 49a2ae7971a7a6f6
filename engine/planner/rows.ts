/**
 * Plans of SELECTs without aggregates: rows pushed down (filters, projections, scalar functions, PREDICT),
 * ORDER BY … LIMIT as a merge of per-shard top-k, DISTINCT on both sides; and statements over reference
 * tables only, sent whole to one placement.
 * @internal
 */

import type { AggregateInput } from './aggregate.js';
import type { SourceText } from './ast.js';
import { type AstNode, clause, joinSql, quoteIdent, render, sql } from './ast.js';
import { aliased, type Item, limitSql, limitValues, orderTerms } from './items.js';
import type { BranchTopK, QueryPlan } from './plan.js';
import { refuse } from './refuse.js';

/** A statement over reference tables only: sent whole to one placement, rows returned in its order. */
export function passThrough(
  select: AstNode,
  items: readonly Item[],
  group: string,
  withOrderLimit: boolean,
  table: string,
  src: SourceText,
): QueryPlan {
  const clauses = (select.clauses as AstNode[]).filter(
    (c) => withOrderLimit || (c.type !== 'order_by_clause' && c.type !== 'limit_clause'),
  );
  const body = joinSql(
    clauses.map((c) => render(c, src)),
    ' ',
  );
  const columns = items.map((it, i) => ({
    name: `_c${i + 1}`,
    affinity: it.affinity,
    load: 'as-is' as const,
  }));
  return {
    fragments: [{ group, shards: [0], sql: body, table, columns }],
    final: sql(
      'SELECT ',
      aliased(columns.map((c, i) => ({ sql: [quoteIdent(c.name)], as: items[i].name }))),
      ` FROM ${quoteIdent(table)} ORDER BY rowid`,
    ),
    columns: items.map((it) => ({ name: it.name, affinity: it.affinity })),
    steps: ['the whole statement on one placement (reference tables only)'],
  };
}

/** `DISTINCT ` when the select clause has it, else ''. */
export function modifiers(selectClause: AstNode): string {
  return (selectClause.modifiers as AstNode[]).some((m) => m.type === 'select_distinct') ? 'DISTINCT ' : '';
}

/** Rows pushed down (filter, projection, scalar functions, PREDICT); ORDER BY … LIMIT as a top-k merge. */
export function planRows(input: AggregateInput, bound?: BranchTopK): QueryPlan {
  const { select, items, src, table } = input;
  const distinct = modifiers(clause(select, 'select_clause')!) !== '';
  let orders = orderTerms(input.withOrderLimit ? clause(select, 'order_by_clause') : undefined, items, src);
  let { limit, offset } = input.withOrderLimit
    ? limitValues(clause(select, 'limit_clause'), src, input.params)
    : { limit: undefined as number | undefined, offset: 0 };
  if (bound) {
    // Only result columns (by position or equal expression) order a branch; names stay with the compound.
    const terms = orderTerms(bound.order, items, src);
    if (terms.every((t) => t.item !== undefined)) {
      orders = terms;
      limit = bound.limit;
      offset = 0;
    }
  }
  const hidden = orders.filter((o) => o.hidden !== undefined);
  if (distinct && hidden.length > 0)
    throw refuse('ORDER BY a term that is not a result column, with DISTINCT');
  const columns = [
    ...items.map((it, i) => ({
      sql: it.sql,
      column: { name: `_c${i + 1}`, affinity: it.affinity, load: 'as-is' as const },
    })),
    ...hidden.map((o, i) => ({
      sql: render(o.hidden!, src),
      column: { name: `_h${i + 1}`, affinity: '' as const, load: 'as-is' as const },
    })),
  ];
  let h = 0;
  const orderKeys = orders.map((o) => (o.item !== undefined ? `"_c${o.item + 1}"` : `"_h${++h}"`) + o.suffix);
  const topK = limit !== undefined ? ` LIMIT ${limit + offset}` : '';
  const shardSql = sql(
    distinct ? 'SELECT DISTINCT ' : 'SELECT ',
    aliased(columns.map((c) => ({ sql: c.sql, as: c.column.name }))),
    ' FROM ',
    input.fromSql,
    input.whereSql ? sql(' WHERE ', input.whereSql) : '',
    topK && orderKeys.length ? ` ORDER BY ${orderKeys.join(', ')}` : '',
    topK,
  );
  const final = sql(
    distinct ? 'SELECT DISTINCT ' : 'SELECT ',
    aliased(items.map((it, i) => ({ sql: [`"_c${i + 1}"`], as: it.name }))),
    ` FROM ${quoteIdent(table)}`,
    orderKeys.length ? ` ORDER BY ${orderKeys.join(', ')}` : '',
    limitSql(limit, offset),
  );
  const steps = [
    topK ? `per-shard top ${limit! + offset}${orderKeys.length ? ' by ORDER BY' : ''}` : 'rows per shard',
    `${distinct ? 'DISTINCT, ' : ''}${orderKeys.length ? 'merge by ORDER BY' : 'concatenate'}${limit !== undefined || offset ? ', LIMIT/OFFSET' : ''} on the control plane`,
  ];
  return {
    fragments: [
      {
        group: input.group,
        shards: input.shards,
        sql: shardSql,
        table,
        columns: columns.map((c) => c.column),
      },
    ],
    final,
    columns: items.map((it) => ({ name: it.name, affinity: it.affinity })),
    steps,
  };
}
