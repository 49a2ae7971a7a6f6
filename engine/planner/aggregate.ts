/**
 * Aggregates split into per-shard partials and a final step on the control plane (the two-phase
 * aggregation of Citus and Greenplum). Per group and shard the nodes return:
 * - count(*) / count(x) → the count; final coalesce(sum(counts), 0);
 * - sum(x) → sum(x) (typed, so integer sums stay integers); final sum();
 * - total(x) → total(x); final total() (always REAL);
 * - min(x) / max(x) → min / max; final min / max (with the argument's COLLATE);
 * - avg(x) → total(x) and count(x); final total / sum(count), which is SQLite's avg: the REAL sum over the
 *   count, NULL for no non-NULL value;
 * - count(DISTINCT k) on a shard key → count(DISTINCT k), summed (a key value lives on one shard);
 * - any other f(DISTINCT x) → x becomes one more grouping column on the shards and the final step applies
 *   f(DISTINCT x) to the merged distinct values (one DISTINCT argument per statement).
 * GROUP BY keys travel with their types and affinities; HAVING, ORDER BY and LIMIT apply to merged groups.
 * @internal
 */
import {
  type AstNode,
  canon,
  clause,
  columnRef,
  funcArgs,
  funcName,
  identName,
  isNode,
  joinSql,
  listItems,
  opName,
  quoteIdent,
  render,
  type SourceText,
  type Sql,
  sourceOf,
  sql,
  walk,
} from './ast.js';
import { aliased, type Item, limitSql, limitValues, orderTerms } from './items.js';
import type { Fragment, MergeColumn, QueryPlan } from './plan.js';
import { refuse } from './refuse.js';
import { affinityOf, type FromAnalysis, resolveColumn } from './sources.js';

const SPLIT = new Set(['count', 'sum', 'total', 'min', 'max', 'avg']);
const OTHER_AGGREGATES = new Set([
  'group_concat',
  'string_agg',
  'json_group_array',
  'json_group_object',
  'jsonb_group_array',
  'jsonb_group_object',
  'median',
  'percentile',
  'percentile_cont',
  'percentile_disc',
  'mode',
  'stddev',
  'variance',
]);

/** Whether a func_call is an aggregate call (min/max with one argument; others by name). */
export function isAggregateCall(n: AstNode): boolean {
  const name = funcName(n);
  if (name === undefined || n.over !== undefined) return false;
  if (name === 'min' || name === 'max') return funcArgs(n).args.length === 1;
  return SPLIT.has(name) || OTHER_AGGREGATES.has(name);
}

/** Aggregate calls in `nodes`, outside subqueries. */
export function aggregateCalls(nodes: readonly (AstNode | undefined)[]): AstNode[] {
  const found: AstNode[] = [];
  for (const root of nodes) {
    if (!root) continue;
    walk(root, (n) => {
      if (n.type === 'select_stmt' || n.type === 'compound_select_stmt') return false;
      if (n.type === 'func_call' && isAggregateCall(n)) {
        found.push(n);
        return false;
      }
      return true;
    });
  }
  return found;
}

/** Column references of an expression (not function names, COLLATE names or subqueries). */
function columnRefs(expr: AstNode): Set<AstNode> {
  const out = new Set<AstNode>();
  const visit = (n: AstNode): void => {
    if (n.type === 'select_stmt' || n.type === 'compound_select_stmt') return;
    if (n.type === 'identifier' || (n.type === 'member_expr' && columnRef(n))) {
      out.add(n);
      return;
    }
    if (n.type === 'func_call') {
      for (const key of ['args', 'filter', 'over']) if (isNode(n[key])) visit(n[key] as AstNode);
      return;
    }
    if (n.type === 'binary_expr' && opName(n) === 'COLLATE') {
      visit(n.left as AstNode);
      return;
    }
    if (n.type === 'cast_expr') {
      visit(((n.args as AstNode).expr as AstNode).expr as AstNode);
      return;
    }
    for (const c of Object.values(n)) {
      if (Array.isArray(c)) for (const x of c) if (isNode(x)) visit(x);
      if (isNode(c)) visit(c);
    }
  };
  visit(expr);
  return out;
}

interface Partial {
  readonly sql: Sql;
  readonly column: MergeColumn;
}

/** Everything an aggregate plan needs from the SELECT planner. */
export interface AggregateInput {
  readonly select: AstNode;
  readonly from: FromAnalysis;
  readonly items: readonly Item[];
  readonly src: SourceText;
  readonly params: readonly unknown[];
  readonly group: string;
  readonly shards: readonly number[];
  readonly table: string;
  readonly fromSql: Sql;
  readonly whereSql?: Sql;
  readonly withOrderLimit: boolean;
}

/** The two-phase plan of an aggregate SELECT. */
export function planAggregate(input: AggregateInput): QueryPlan {
  const { select, from, items, src, table } = input;
  const sources = from.sources;
  const having = (clause(select, 'having_clause')?.expr as AstNode | undefined) ?? undefined;
  const orderClause = input.withOrderLimit ? clause(select, 'order_by_clause') : undefined;
  if (items.some((it) => it.node === undefined)) throw refuse('SELECT * in an aggregate query');

  // GROUP BY keys: positions and AS names resolve to result columns (SQLite's rule); COLLATE is kept.
  const keys = listItems(clause(select, 'group_by_clause')?.columns).map((g, i) => {
    let base = g;
    let collate = '';
    if (g.type === 'binary_expr' && opName(g) === 'COLLATE') {
      base = g.left as AstNode;
      collate = ` COLLATE ${sourceOf(g.right as AstNode, src)}`;
    }
    if (base.type === 'number_literal' && Number.isInteger(base.value)) {
      const it = items[Number(base.value) - 1];
      if (!it) throw refuse(`GROUP BY term ${base.value} out of range (1 … ${items.length})`);
      base = it.node!;
    } else if (base.type === 'identifier' && !resolveColumn(base, sources)) {
      const it = items.find((x) => x.alias === identName(base));
      if (it) base = it.node!;
    }
    return { name: `_k${i + 1}`, base, sql: render(base, src), collate, canon: canon(base) };
  });
  const keyByCanon = new Map(keys.map((k) => [k.canon, k]));

  const orders = orderTerms(orderClause, items, src);
  const calls = aggregateCalls([...items.map((i) => i.node), having, ...orders.map((o) => o.hidden)]);
  for (const c of calls) {
    const name = funcName(c)!;
    if (!SPLIT.has(name)) throw refuse(`the aggregate ${name}() (count, sum, total, min, max and avg are)`);
    if (c.filter !== undefined) throw refuse(`an aggregate with FILTER (${sourceOf(c, src)})`);
    if (aggregateCalls(funcArgs(c).args).length > 0) throw refuse(`a nested aggregate ${sourceOf(c, src)}`);
  }

  // DISTINCT aggregates: a shard-key count sums; any other needs its argument as an extra grouping column.
  let distinctArg: AstNode | undefined;
  const isKeyCount = (c: AstNode): boolean => {
    const { args } = funcArgs(c);
    const s = args.length === 1 ? resolveColumn(args[0], sources) : undefined;
    const col = args.length === 1 ? columnRef(args[0])?.column : undefined;
    return funcName(c) === 'count' && s !== undefined && col !== undefined && s.keyColumns.has(col);
  };
  for (const c of calls) {
    const { args, distinct } = funcArgs(c);
    if (!distinct || isKeyCount(c)) continue;
    if (distinctArg && canon(distinctArg) !== canon(args[0])) {
      throw refuse('DISTINCT aggregates over different arguments in one statement');
    }
    distinctArg = args[0];
  }

  const partials: Partial[] = [];
  const finals = new Map<AstNode, Sql>();
  const partial = (s: Sql, load: MergeColumn['load']): string => {
    const name = `_p${partials.length + 1}`;
    partials.push({ sql: s, column: { name, affinity: '', load } });
    return quoteIdent(name);
  };
  const byCanon = new Map<string, Sql>();
  for (const c of calls) {
    const key = canon(c);
    const known = byCanon.get(key);
    if (known) {
      finals.set(c, known);
      continue;
    }
    const name = funcName(c)!;
    const { args, distinct } = funcArgs(c);
    const arg = args[0];
    const argSql = arg && arg.type !== 'all_columns' ? render(arg, src) : ['*'];
    let final: Sql;
    if (distinct && isKeyCount(c)) {
      final = [`coalesce(sum(${partial(sql('count(DISTINCT ', argSql, ')'), 'integer')}), 0)`];
    } else if (distinct) {
      final = [`${name}(DISTINCT "_d")`];
    } else if (name === 'count') {
      final = [`coalesce(sum(${partial(sql('count(', argSql, ')'), 'integer')}), 0)`];
    } else if (name === 'sum') {
      final = [`sum(${partial(sql('sum(', argSql, ')'), 'companion')})`];
    } else if (name === 'total') {
      final = [`total(${partial(sql('total(', argSql, ')'), 'real')})`];
    } else if (name === 'avg') {
      const t = partial(sql('total(', argSql, ')'), 'real');
      const n = partial(sql('count(', argSql, ')'), 'integer');
      final = [`(total(${t}) / sum(${n}))`];
    } else {
      const collate =
        arg.type === 'binary_expr' && opName(arg) === 'COLLATE'
          ? ` COLLATE ${sourceOf(arg.right as AstNode, src)}`
          : '';
      final = [`${name}(${partial(sql(`${name}(`, argSql, ')'), 'companion')}${collate})`];
    }
    byCanon.set(key, final);
    finals.set(c, final);
  }

  const aliases = new Set(items.flatMap((i) => (i.alias ? [i.alias] : [])));
  const rewrite = (expr: AstNode, allowAliases: boolean): Sql => {
    const refs = columnRefs(expr);
    return render(expr, src, (n) => {
      const k = keyByCanon.get(canon(n));
      if (k) return [quoteIdent(k.name)];
      const f = finals.get(n);
      if (f) return f;
      if (n.type === 'select_stmt' || n.type === 'compound_select_stmt') {
        throw refuse('a subquery in the result, HAVING or ORDER BY of an aggregate over distributed tables');
      }
      if (refs.has(n)) {
        const name = identName(n);
        if (allowAliases && name !== undefined && aliases.has(name) && !resolveColumn(n, sources))
          return undefined;
        throw refuse(
          `the column ${sourceOf(n, src)} outside an aggregate and not in GROUP BY (put it in GROUP BY or an aggregate)`,
        );
      }
      return undefined;
    });
  };

  // Shard statement: keys, the DISTINCT argument and partials per group, each value followed by its typeof.
  const valueColumns: { sql: Sql; column: MergeColumn }[] = [
    ...keys.map((k) => ({
      sql: k.sql,
      column: { name: k.name, affinity: affinityOf(k.base, sources), load: 'companion' as const },
    })),
    ...(distinctArg
      ? [
          {
            sql: render(distinctArg, src),
            column: { name: '_d', affinity: affinityOf(distinctArg, sources), load: 'companion' as const },
          },
        ]
      : []),
    ...partials,
  ];
  const groupBy = [
    ...keys.map((k) => sql(k.sql, k.collate)),
    ...(distinctArg ? [render(distinctArg, src)] : []),
  ];
  const inner = sql(
    'SELECT ',
    valueColumns.length ? aliased(valueColumns.map((v) => ({ sql: v.sql, as: v.column.name }))) : '0 AS "_z"',
    ' FROM ',
    input.fromSql,
    input.whereSql ? sql(' WHERE ', input.whereSql) : '',
    groupBy.length ? sql(' GROUP BY ', joinSql(groupBy, ', ')) : '',
  );
  const outer = valueColumns.flatMap((v) => {
    const q = quoteIdent(v.column.name);
    return v.column.load === 'companion' ? [q, `typeof(${q})`] : [q];
  });
  const fragment: Fragment = {
    group: input.group,
    shards: input.shards,
    sql: sql(`SELECT ${outer.length ? outer.join(', ') : '"_z"'} FROM (`, inner, ')'),
    table,
    columns: valueColumns.length
      ? valueColumns.map((v) => v.column)
      : [{ name: '_z', affinity: '', load: 'as-is' }],
  };

  const distinctRows = (clause(select, 'select_clause')!.modifiers as AstNode[]).some(
    (m) => m.type === 'select_distinct',
  );
  const { limit, offset } = input.withOrderLimit
    ? limitValues(clause(select, 'limit_clause'), src, input.params)
    : { limit: undefined, offset: 0 };
  const orderSql = orders.map((o) =>
    o.item !== undefined ? sql(`${o.item + 1}`, o.suffix) : sql(rewrite(o.hidden!, true), o.suffix),
  );
  const final = sql(
    distinctRows ? 'SELECT DISTINCT ' : 'SELECT ',
    aliased(items.map((it) => ({ sql: rewrite(it.node!, false), as: it.name }))),
    ` FROM ${quoteIdent(table)}`,
    keys.length ? ` GROUP BY ${keys.map((k) => quoteIdent(k.name) + k.collate).join(', ')}` : '',
    having ? sql(' HAVING ', rewrite(having, true)) : '',
    orderSql.length ? sql(' ORDER BY ', joinSql(orderSql, ', ')) : '',
    limitSql(limit, offset),
  );
  const steps = [
    `partial aggregates per ${keys.length ? 'group and ' : ''}shard${distinctArg ? ' and distinct value' : ''}`,
    `final aggregate${keys.length ? ' per group' : ''}${having ? ', HAVING' : ''}${orderSql.length ? ', ORDER BY' : ''}${limit !== undefined || offset ? ', LIMIT/OFFSET' : ''} on the control plane`,
  ];
  return {
    fragments: [fragment],
    final,
    columns: items.map((it) => ({
      name: it.name,
      affinity: keyByCanon.has(canon(it.node!)) ? it.affinity : '',
    })),
    steps,
  };
}
