/**
 * Result columns of a SELECT (with `*` and `t.*` expanded from the known columns of its relations), their
 * names as SQLite names them, ORDER BY terms resolved against them, and LIMIT/OFFSET values.
 * @internal
 */
import {
  type AstNode,
  canon,
  clause,
  columnRef,
  identName,
  isNode,
  listItems,
  opName,
  quoteIdent,
  render,
  type SourceText,
  type Sql,
  sourceOf,
  sql,
} from './ast.js';
import { refuse } from './refuse.js';
import { type Affinity, affinityOf, type FromAnalysis, type Source } from './sources.js';

/** One result column: its expression (undefined for an expanded `*` column), SQL, name and affinity. */
export interface Item {
  readonly node?: AstNode;
  readonly sql: Sql;
  readonly name: string;
  /** The explicit `AS` name, lower-cased, when given. */
  readonly alias?: string;
  readonly affinity: Affinity;
}

function starColumns(s: Source, from: FromAnalysis): Item[] {
  if (!s.columns) throw refuse(`SELECT * over ${s.alias || 'a subquery'} whose columns cannot be listed`);
  const hidden = new Set(
    from.joins.filter((j) => j.right.length === 1 && j.right[0] === s).flatMap((j) => j.using),
  );
  return s.columns
    .filter((c) => !hidden.has(c.name.toLowerCase()))
    .map((c) => ({
      sql: [s.alias ? `${quoteIdent(s.alias)}.${quoteIdent(c.name)}` : quoteIdent(c.name)],
      name: c.name,
      affinity: c.affinity,
    }));
}

/** The result columns of a select clause over `from`. */
export function selectItems(select: AstNode, from: FromAnalysis | undefined, src: SourceText): Item[] {
  const columns = (clause(select, 'select_clause')!.columns as AstNode) ?? { type: 'list_expr', items: [] };
  const sources = from?.sources ?? [];
  const out: Item[] = [];
  for (const node of listItems(columns)) {
    if (node.type === 'all_columns') {
      if (!from) throw refuse('SELECT * without FROM');
      for (const s of sources) out.push(...starColumns(s, from));
      continue;
    }
    if (node.type === 'member_expr' && isNode(node.property) && node.property.type === 'all_columns') {
      const q = identName(node.object);
      const s = sources.find((x) => x.alias === q);
      if (!s || !from) throw refuse(`${sourceOf(node, src)} names no relation of the FROM clause`);
      out.push(...starColumns(s, from));
      continue;
    }
    if (node.type === 'alias') {
      const expr = node.expr as AstNode;
      const name = String((node.alias as AstNode).name);
      out.push({
        node: expr,
        sql: render(expr, src),
        name,
        alias: name.toLowerCase(),
        affinity: affinityOf(expr, sources),
      });
      continue;
    }
    out.push({
      node,
      sql: render(node, src),
      name: resultName(node, sources, src),
      affinity: affinityOf(node, sources),
    });
  }
  return out;
}

/** SQLite's name of an un-aliased result column: a column's declared name, else the expression's text. */
function resultName(node: AstNode, sources: readonly Source[], src: SourceText): string {
  const ref = columnRef(node);
  if (ref) {
    for (const s of sources) {
      if (ref.qualifier !== undefined && s.alias !== ref.qualifier) continue;
      const c = s.columns?.find((x) => x.name.toLowerCase() === ref.column);
      if (c) return c.name;
    }
    const last = node.type === 'member_expr' ? (node.property as AstNode) : node;
    return String(last.name);
  }
  return sourceOf(node, src);
}

/** One ORDER BY term resolved: a result column (0-based) or an expression to carry as a hidden column. */
export interface OrderTerm {
  readonly item?: number;
  readonly hidden?: AstNode;
  /** ` COLLATE x`, ` DESC`, ` NULLS LAST` as written, to repeat after the merge column. */
  readonly suffix: string;
}

/** The ORDER BY terms of `orderClause` against `items` (SQLite's order: AS name, position, equal expression). */
export function orderTerms(
  orderClause: AstNode | undefined,
  items: readonly Item[],
  src: SourceText,
): OrderTerm[] {
  if (!orderClause) return [];
  return listItems(orderClause.specifications).map((spec) => {
    let expr = spec.type === 'sort_specification' ? (spec.expr as AstNode) : spec;
    let suffix = '';
    if (expr.type === 'binary_expr' && opName(expr) === 'COLLATE') {
      suffix += ` COLLATE ${sourceOf(expr.right as AstNode, src)}`;
      expr = expr.left as AstNode;
    }
    if (isNode(spec.direction)) suffix += ` ${sourceOf(spec.direction, src)}`;
    if (Array.isArray(spec.nullHandlingKw)) {
      suffix += ` ${(spec.nullHandlingKw as AstNode[]).map((k) => String(k.name)).join(' ')}`;
    }
    const name = identName(expr);
    if (name !== undefined) {
      const i = items.findIndex((it) => it.alias === name);
      if (i >= 0) return { item: i, suffix };
    }
    if (expr.type === 'number_literal' && Number.isInteger(expr.value)) {
      const k = Number(expr.value);
      if (k < 1 || k > items.length) {
        throw refuse(`ORDER BY term ${k} out of range (1 … ${items.length})`);
      }
      return { item: k - 1, suffix };
    }
    const key = canon(expr);
    const i = items.findIndex((it) => it.node !== undefined && canon(it.node) === key);
    return i >= 0 ? { item: i, suffix } : { hidden: expr, suffix };
  });
}

/** LIMIT and OFFSET as numbers (a negative LIMIT is no limit). */
export function limitValues(
  limitClause: AstNode | undefined,
  src: SourceText,
  params: readonly unknown[],
): { limit?: number; offset: number } {
  if (!limitClause) return { offset: 0 };
  const value = (n: unknown): number => {
    if (!isNode(n)) return 0;
    if (n.type === 'number_literal' && Number.isInteger(n.value)) return Number(n.value);
    if (n.type === 'parameter') {
      const v = params[src.paramIndex.get(n) ?? -1];
      const num = typeof v === 'bigint' ? Number(v) : v;
      if (typeof num === 'number' && Number.isInteger(num)) return num;
    }
    throw refuse(
      `LIMIT/OFFSET ${sourceOf(n, src)} (only integer literals and parameters bound to integers are)`,
    );
  };
  const limit = value(limitClause.count);
  const offset = limitClause.offset === undefined ? 0 : Math.max(0, value(limitClause.offset));
  return { limit: limit < 0 ? undefined : limit, offset };
}

/** ` LIMIT n OFFSET m` for the merge, or ''. */
export function limitSql(limit: number | undefined, offset: number): string {
  if (limit === undefined) return offset > 0 ? ` LIMIT -1 OFFSET ${offset}` : '';
  return ` LIMIT ${limit}${offset > 0 ? ` OFFSET ${offset}` : ''}`;
}

/** `expr AS "name"` select-list entries. */
export function aliased(parts: readonly { sql: Sql; as: string }[]): Sql {
  const out: (string | Sql)[] = [];
  parts.forEach((p, i) => {
    if (i > 0) out.push(', ');
    out.push(p.sql, ` AS ${quoteIdent(p.as)}`);
  });
  return sql(...out);
}
