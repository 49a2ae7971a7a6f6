/**
 * The slice of sql-parser-cst's syntax tree the planner reads, and SQL text built from it: generated SQL is
 * the statement's own source spans spliced with replacements, with every parameter carried as a reference to
 * the caller's parameter list (better-sqlite3 binds only plain `?` positionally, so each generated statement
 * gets its own parameter array in the order its `?` appear).
 * @internal
 */

/** A node of sql-parser-cst's tree, parsed with `includeRange`: `range` is [start, end) in the source. */
export interface AstNode {
  readonly type: string;
  readonly range?: [number, number];
  readonly [key: string]: unknown;
}

/** A parameter of the caller's list, by 0-based position. */
export interface ParamRef {
  readonly param: number;
}

/** SQL text as pieces: literal text and parameter references, in order. */
export type Sql = readonly (string | ParamRef)[];

export function isNode(v: unknown): v is AstNode {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}

// Memos kept on the nodes under symbols (invisible to Object.entries and JSON): a WeakMap per node made
// garbage collection the planner's largest cost.
const CHILDREN = Symbol('children');
const CANON = Symbol('canon');
type Memo = { [CHILDREN]?: AstNode[]; [CANON]?: string };

/** Direct child nodes, in source order (memoised: the planner never changes a tree's shape). */
export function children(node: AstNode): AstNode[] {
  const cached = (node as Memo)[CHILDREN];
  if (cached) return cached;
  const out: AstNode[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'range') continue;
    if (Array.isArray(value)) {
      for (const v of value) if (isNode(v)) out.push(v);
    } else if (isNode(value)) out.push(value);
  }
  if (out.length > 1) out.sort((a, b) => (a.range?.[0] ?? 0) - (b.range?.[0] ?? 0));
  (node as Memo)[CHILDREN] = out;
  return out;
}

/**
 * Visits `node` and its descendants depth-first in source order; `visit` returning false skips a subtree.
 */
export function walk(node: AstNode, visit: (n: AstNode) => boolean | undefined): void {
  if (visit(node) === false) return;
  for (const c of children(node)) walk(c, visit);
}

/** The first clause of `type` in a select_stmt, if present. */
export function clause(select: AstNode, type: string): AstNode | undefined {
  return (select.clauses as AstNode[]).find((c) => c.type === type);
}

/** Items of a list_expr (or the node itself when not a list). */
export function listItems(node: unknown): AstNode[] {
  if (!isNode(node)) return [];
  return node.type === 'list_expr' ? (node.items as AstNode[]) : [node];
}

/** Lower-cased name of an identifier node; `undefined` for anything else. */
export function identName(node: unknown): string | undefined {
  return isNode(node) && node.type === 'identifier' ? String(node.name).toLowerCase() : undefined;
}

/** A column reference `col`, `t.col` or `s.t.col` as {qualifier?, column} (lower-cased). */
export function columnRef(node: AstNode): { qualifier?: string; column: string } | undefined {
  if (node.type === 'identifier') return { column: identName(node)! };
  if (node.type === 'member_expr' && isNode(node.property) && node.property.type === 'identifier') {
    const object = node.object as AstNode;
    const qualifier =
      object.type === 'identifier'
        ? identName(object)
        : object.type === 'member_expr'
          ? identName(object.property)
          : undefined;
    if (qualifier !== undefined) return { qualifier, column: identName(node.property)! };
  }
  return undefined;
}

/** Lower-cased function name of a func_call. */
export function funcName(node: AstNode): string | undefined {
  return node.type === 'func_call' ? identName(node.name) : undefined;
}

/** Arguments of a func_call (`*` appears as an `all_columns` node); `distinct` when `f(DISTINCT x)`. */
export function funcArgs(node: AstNode): { args: AstNode[]; distinct: boolean } {
  const paren = node.args as AstNode | undefined;
  const fa = paren?.expr as AstNode | undefined;
  if (fa?.type !== 'func_args') return { args: [], distinct: false };
  return { args: listItems(fa.args), distinct: fa.distinctKw !== undefined };
}

/** Upper-cased operator of a binary_expr (operators are strings or keyword nodes). */
export function opName(node: AstNode): string {
  const op = node.operator;
  if (typeof op === 'string') return op.toUpperCase();
  const list = Array.isArray(op) ? op : [op];
  return list
    .filter(isNode)
    .map((k) => String(k.name).toUpperCase())
    .join(' ');
}

/** A structural key of an expression: equal for the same expression written with other spacing or case. */
export function canon(node: AstNode): string {
  const cached = (node as Memo)[CANON];
  if (cached !== undefined) return cached;
  const key = JSON.stringify(node, (k, value) => {
    if (k === 'range' || k === 'text') return undefined;
    if (k === 'name' && typeof value === 'string') return value.toLowerCase();
    return value;
  });
  (node as Memo)[CANON] = key;
  return key;
}

/** Double-quoted SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Joins SQL pieces with a separator. */
export function joinSql(parts: readonly Sql[], sep: string): Sql {
  const out: (string | ParamRef)[] = [];
  parts.forEach((p, i) => {
    if (i > 0) out.push(sep);
    out.push(...p);
  });
  return out;
}

/** Concatenates SQL pieces and strings. */
export function sql(...parts: (string | Sql)[]): Sql {
  const out: (string | ParamRef)[] = [];
  for (const p of parts) {
    if (typeof p === 'string') out.push(p);
    else out.push(...p);
  }
  return out;
}

/** The text and parameter values of `s` for one execution. */
export function bindSql(s: Sql, params: readonly unknown[]): { sql: string; params: unknown[] } {
  let text = '';
  const values: unknown[] = [];
  for (const p of s) {
    if (typeof p === 'string') text += p;
    else {
      text += '?';
      values.push(params[p.param]);
    }
  }
  return { sql: text, params: values };
}

/** Source text of a statement and the position of each of its parameters. */
export interface SourceText {
  readonly text: string;
  readonly paramIndex: ReadonlyMap<AstNode, number>;
}

/**
 * The SQL of `node`: its source span with each descendant for which `replace` returns SQL spliced out, and
 * parameters as references.
 */
export function render(node: AstNode, src: SourceText, replace?: (n: AstNode) => Sql | undefined): Sql {
  const out: (string | ParamRef)[] = [];
  const emit = (n: AstNode): void => {
    const r = replace?.(n);
    if (r !== undefined) {
      out.push(...r);
      return;
    }
    if (n.type === 'parameter') {
      out.push({ param: src.paramIndex.get(n)! });
      return;
    }
    const [start, end] = n.range!;
    let pos = start;
    for (const c of children(n)) {
      if (!c.range) continue;
      if (c.range[0] > pos) out.push(src.text.slice(pos, c.range[0]));
      emit(c);
      pos = c.range[1];
    }
    if (end > pos) out.push(src.text.slice(pos, end));
  };
  emit(node);
  return out;
}

/** The plain source text of a node. */
export function sourceOf(node: AstNode, src: SourceText): string {
  return src.text.slice(node.range![0], node.range![1]);
}
