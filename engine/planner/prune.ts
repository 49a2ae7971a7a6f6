/**
 * Shard pruning: `WHERE <shard key> = <literal or ?>` and `<shard key> IN (…)` read only the shards that
 * hold those values ({@link shardForValue}). A value is first given the affinity SQLite applies when it is
 * compared with the key column, so `k = '7'` on an INTEGER key routes like the stored 7.
 * @internal
 */
import { shardForValue } from '../distributed/index.js';
import { type AstNode, columnRef, isNode, listItems, opName, type SourceText } from './ast.js';
import { type Affinity, conjuncts, resolveColumn, type Source } from './sources.js';

/** Converts a value as SQLite does when it is compared with a column of `affinity`. */
export type AffinityConverter = (value: unknown, affinity: Affinity) => unknown;

function literalValue(
  node: AstNode,
  src: SourceText,
  params: readonly unknown[],
): { value: unknown } | undefined {
  if (node.type === 'string_literal') return { value: node.value };
  if (node.type === 'number_literal') {
    // An integer literal is an INTEGER to SQLite (a JS number would bind as REAL: 5 → '5.0' as TEXT).
    const text = String(node.text);
    return { value: /^(\d+|0x[0-9a-f]+)$/i.test(text) ? BigInt(text) : node.value };
  }
  if (node.type === 'parameter') {
    const i = src.paramIndex.get(node) ?? -1;
    return i >= 0 && i < params.length ? { value: params[i] } : undefined;
  }
  return undefined;
}

/**
 * The shards (ascending) that can hold rows satisfying `where`, or undefined for all of them. Only
 * top-level AND conjuncts on the shard key of a distributed table of `sources` prune; several intersect.
 */
export function prunedShards(
  where: AstNode | undefined,
  sources: readonly Source[],
  src: SourceText,
  params: readonly unknown[],
  convert: AffinityConverter,
): number[] | undefined {
  let result: Set<number> | undefined;
  for (const c of conjuncts(where)) {
    if (c.type !== 'binary_expr') continue;
    const op = opName(c);
    let colSide: AstNode;
    let valueNodes: AstNode[];
    if (op === '=' || op === '==') {
      const l = c.left as AstNode;
      const r = c.right as AstNode;
      [colSide, valueNodes] = columnRef(l) ? [l, [r]] : [r, [l]];
    } else if (op === 'IN') {
      colSide = c.left as AstNode;
      const right = c.right as AstNode;
      if (right.type !== 'paren_expr' || !isNode(right.expr) || right.expr.type === 'select_stmt') continue;
      valueNodes = listItems(right.expr);
    } else continue;
    const source = resolveColumn(colSide, sources);
    const table = source?.table;
    if (source?.kind !== 'distributed' || !table) continue;
    if (columnRef(colSide)?.column !== table.shardKey.toLowerCase()) continue;
    const values = valueNodes.map((v) => literalValue(v, src, params));
    if (values.some((v) => v === undefined || v.value === null || v.value === undefined)) continue;
    const affinity = source.columns?.find(
      (col) => col.name.toLowerCase() === table.shardKey.toLowerCase(),
    )?.affinity;
    const numeric: Affinity = affinity === 'TEXT' || affinity === '' ? affinity : 'NUMERIC';
    const shards = new Set(values.map((v) => shardForValue(convert(v!.value, numeric), table.shardCount)));
    result = result ? new Set([...result].filter((s) => shards.has(s))) : shards;
  }
  if (!result) return undefined;
  // Contradictory conjuncts (k = 1 AND k = 2) match nothing: one shard answers the empty result.
  return result.size === 0 ? [0] : [...result].sort((a, b) => a - b);
}
