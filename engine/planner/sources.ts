/**
 * The FROM clause of one SELECT as the planner sees it: which relations it reads (distributed, reference,
 * subqueries, control-plane tables), whether its joins can run on the nodes (one colocation group, joined on
 * shard keys, no outer join that would repeat reference rows per shard), and column affinities.
 * @internal
 */
import type { DistributedTable } from '../distributed/index.js';
import { type AstNode, columnRef, identName, isNode, listItems, opName } from './ast.js';
import { refuse } from './refuse.js';

/** SQLite column affinity; '' is none (BLOB). */
export type Affinity = 'INTEGER' | 'REAL' | 'TEXT' | 'NUMERIC' | '';

/** One output column of a relation. */
export interface OutColumn {
  readonly name: string;
  readonly affinity: Affinity;
}

/**
 * One relation of a FROM clause.
 * - distributed / reference: a table of the tables map;
 * - local: a subquery that runs whole on each shard (rows of different shards never meet in it);
 * - merged: a subquery answered on the control plane (its `merged` plan);
 * - control: any other table (sys_* and control-plane tables).
 */
export interface Source {
  readonly alias: string;
  readonly kind: 'distributed' | 'reference' | 'local' | 'merged' | 'control';
  readonly name: string;
  readonly node: AstNode;
  readonly table?: DistributedTable;
  /** Known output columns (undefined when they cannot be listed). */
  readonly columns?: readonly OutColumn[];
  /** Output columns that carry the shard key of the distributed rows inside. */
  readonly keyColumns: ReadonlySet<string>;
  /** Colocation group of distributed rows inside (distributed tables and local subqueries over them). */
  readonly group?: string;
  readonly shardCount?: number;
  /** Colocation group of a reference table inside (where a statement over reference tables only is sent). */
  readonly referenceGroup?: string;
  /** Planner payload of a merged subquery. */
  readonly merged?: unknown;
}

/** One join of the FROM tree: its kind, the relations on each side and its condition. */
export interface Join {
  readonly kind: 'inner' | 'left' | 'right' | 'full';
  readonly left: readonly Source[];
  readonly right: readonly Source[];
  readonly on?: AstNode;
  readonly using: readonly string[];
}

export interface FromAnalysis {
  readonly sources: Source[];
  readonly joins: Join[];
}

/** Classifies a parenthesised subquery of a FROM clause (supplied by the SELECT planner). */
export type SubqueryClassifier = (paren: AstNode, alias: string) => Source;

/** SQLite's affinity of a declared type name (datatype3.html §3.1). */
export function affinityOfType(typeName: string): Affinity {
  const t = typeName.toUpperCase();
  if (t.includes('INT')) return 'INTEGER';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'TEXT';
  if (t === '' || t.includes('BLOB')) return '';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'REAL';
  return 'NUMERIC';
}

function tableColumns(table: DistributedTable): OutColumn[] {
  return table.columns.map((c) => ({ name: c.name, affinity: affinityOfType(c.type) }));
}

/** Walks a FROM expression into its relations and joins. */
export function analyzeFrom(
  expr: AstNode,
  tables: ReadonlyMap<string, DistributedTable>,
  classify: SubqueryClassifier,
): FromAnalysis {
  const sources: Source[] = [];
  const joins: Join[] = [];
  const visit = (node: AstNode): Source[] => {
    if (node.type === 'join_expr') {
      const left = visit(node.left as AstNode);
      const right = visit(node.right as AstNode);
      joins.push({ kind: joinKind(node), left, right, ...joinCondition(node.specification) });
      return [...left, ...right];
    }
    if (node.type === 'paren_expr' && isNode(node.expr) && node.expr.type === 'join_expr') {
      return visit(node.expr);
    }
    let inner = node;
    let alias: string | undefined;
    if (node.type === 'alias') {
      inner = node.expr as AstNode;
      alias = identName(node.alias);
    }
    if (inner.type === 'paren_expr' && isNode(inner.expr)) {
      const s = classify(inner, alias ?? '');
      sources.push(s);
      return [s];
    }
    const ref = inner.type === 'identifier' || inner.type === 'member_expr' ? columnRef(inner) : undefined;
    if (!ref) throw refuse(`the FROM item ${inner.type} (only tables, subqueries and joins are)`);
    const name = ref.column;
    const table = tables.get(name);
    const s: Source = table
      ? {
          alias: alias ?? name,
          kind: table.kind,
          name,
          node,
          table,
          columns: tableColumns(table),
          keyColumns: table.kind === 'distributed' ? new Set([table.shardKey.toLowerCase()]) : new Set(),
          group: table.kind === 'distributed' ? table.colocationGroup : undefined,
          shardCount: table.shardCount,
          referenceGroup: table.kind === 'reference' ? table.colocationGroup : undefined,
        }
      : { alias: alias ?? name, kind: 'control', name, node, keyColumns: new Set() };
    sources.push(s);
    return [s];
  };
  visit(expr);
  return { sources, joins };
}

function keywords(op: unknown): string[] {
  if (op === ',') return [','];
  const list = Array.isArray(op) ? op : [op];
  return list.filter(isNode).map((k) => String(k.name).toUpperCase());
}

function joinKind(node: AstNode): Join['kind'] {
  const kw = keywords(node.operator);
  if (kw.includes('NATURAL')) throw refuse('NATURAL JOIN (write the join condition with ON or USING)');
  if (kw.includes('LEFT')) return 'left';
  if (kw.includes('RIGHT')) return 'right';
  if (kw.includes('FULL')) return 'full';
  return 'inner';
}

function joinCondition(spec: unknown): { on?: AstNode; using: string[] } {
  if (!isNode(spec)) return { using: [] };
  if (spec.type === 'join_on_specification') return { on: spec.expr as AstNode, using: [] };
  const paren = spec.expr as AstNode;
  return { using: listItems(paren.expr).map((i) => identName(i) ?? '') };
}

/** Top-level AND conjuncts of an expression. */
export function conjuncts(expr: AstNode | undefined): AstNode[] {
  if (!expr) return [];
  if (expr.type === 'paren_expr' && isNode(expr.expr)) return conjuncts(expr.expr);
  if (expr.type === 'binary_expr' && opName(expr) === 'AND') {
    return [...conjuncts(expr.left as AstNode), ...conjuncts(expr.right as AstNode)];
  }
  return [expr];
}

/** The relation a column reference reads, when it can be told (qualified, or a unique known column). */
export function resolveColumn(node: AstNode, sources: readonly Source[]): Source | undefined {
  const ref = columnRef(node);
  if (!ref) return undefined;
  if (ref.qualifier !== undefined) return sources.find((s) => s.alias === ref.qualifier);
  const having = sources.filter((s) => s.columns?.some((c) => c.name.toLowerCase() === ref.column));
  return having.length === 1 && sources.every((s) => s.columns !== undefined) ? having[0] : undefined;
}

/** SQLite's affinity of an expression: a column's, a CAST's type, else none. */
export function affinityOf(node: AstNode, sources: readonly Source[]): Affinity {
  if (node.type === 'paren_expr' && isNode(node.expr)) return affinityOf(node.expr, sources);
  if (node.type === 'cast_expr') {
    const arg = (node.args as AstNode).expr as AstNode;
    const dt = arg.dataType as AstNode;
    const names = dt.name;
    const text = (Array.isArray(names) ? names : [names])
      .filter(isNode)
      .map((n) => String(n.name ?? n.text))
      .join(' ');
    return affinityOfType(text);
  }
  if (node.type === 'binary_expr' && opName(node) === 'COLLATE') {
    return affinityOf(node.left as AstNode, sources);
  }
  const s = resolveColumn(node, sources);
  const col = columnRef(node)?.column;
  return s?.columns?.find((c) => c.name.toLowerCase() === col)?.affinity ?? '';
}

function isEquality(n: AstNode): boolean {
  return n.type === 'binary_expr' && (opName(n) === '=' || opName(n) === '==');
}

/**
 * Checks that the relations of one SELECT can be joined on the nodes: one colocation group; every
 * distributed relation connected to the others by equalities of shard keys (in ON, USING or WHERE); no
 * outer join that preserves reference rows against distributed ones (each shard would repeat them).
 * @throws InfrabaseError('INVALID_ARGUMENT') naming the join that is not supported.
 */
export function checkColocated(from: FromAnalysis, where: AstNode | undefined): void {
  const dist = from.sources.filter((s) => s.group !== undefined);
  const groups = [...new Set(dist.map((s) => s.group))];
  if (groups.length > 1) {
    const list = dist.map((s) => `${s.name} (group ${s.group})`).join(', ');
    throw refuse(`a join of distributed tables of different colocation groups: ${list}`);
  }
  for (const j of from.joins) {
    const leftDist = j.left.some((s) => s.group !== undefined);
    const rightDist = j.right.some((s) => s.group !== undefined);
    const preservesRef =
      (j.kind === 'left' && !leftDist && rightDist) ||
      (j.kind === 'right' && leftDist && !rightDist) ||
      (j.kind === 'full' && leftDist !== rightDist);
    if (preservesRef) {
      throw refuse(
        `a ${j.kind.toUpperCase()} JOIN that keeps the unmatched rows of a reference table against a distributed table`,
      );
    }
  }
  if (dist.length < 2) return;
  const parent = new Map<Source, Source>(dist.map((s) => [s, s]));
  const find = (s: Source): Source => (parent.get(s) === s ? s : find(parent.get(s)!));
  const union = (a: Source, b: Source) => parent.set(find(a), find(b));
  const equalities = [...from.joins.flatMap((j) => conjuncts(j.on)), ...conjuncts(where)];
  for (const e of equalities) {
    if (!isEquality(e)) continue;
    const a = resolveColumn(e.left as AstNode, from.sources);
    const b = resolveColumn(e.right as AstNode, from.sources);
    const ca = columnRef(e.left as AstNode)?.column;
    const cb = columnRef(e.right as AstNode)?.column;
    if (a && b && a !== b && a.keyColumns.has(ca!) && b.keyColumns.has(cb!)) union(a, b);
  }
  for (const j of from.joins) {
    for (const col of j.using) {
      for (const r of j.right.filter((s) => s.keyColumns.has(col))) {
        for (const l of j.left.filter((s) => s.keyColumns.has(col))) union(l, r);
      }
    }
  }
  const root = find(dist[0]);
  const apart = dist.find((s) => find(s) !== root);
  if (apart) {
    throw refuse(
      `a join of ${dist[0].alias} and ${apart.alias} that is not an equality of their shard keys ` +
        `(co-located tables join on the nodes only as ${dist[0].alias}.<shard key> = ${apart.alias}.<shard key>)`,
    );
  }
}
