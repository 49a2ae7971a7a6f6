/**
 * Common table expressions over distributed tables: a statement's top-level `WITH` is inlined, each CTE
 * becoming a subquery in FROM where it is named, so the rules for subqueries in FROM plan it. A CTE is inlined
 * only when that means the same thing: not RECURSIVE, no column list, each reading only CTEs before it, named
 * at most once (a second reference would read the shards twice). Other shapes are refused by name.
 * @internal
 */
import {
  type AstNode,
  clause,
  identName,
  isNode,
  listItems,
  render,
  type SourceText,
  type Sql,
  sourceOf,
  sql,
  walk,
} from './ast.js';
import { refuse } from './refuse.js';

/**
 * The text of `query` (a SELECT or compound) with its top-level WITH inlined, parameters written `?NNN` with
 * their positions kept; undefined when it has no WITH.
 * @throws InfrabaseError('INVALID_ARGUMENT') for WITH RECURSIVE, a CTE with a column list, or one named more
 *   than once.
 */
export function inlineCtes(query: AstNode, src: SourceText): string | undefined {
  const first = leftmostSelect(query);
  const withClause = first && clause(first, 'with_clause');
  if (!withClause) return undefined;
  if (withClause.recursiveKw) throw refuse('WITH RECURSIVE (a recursive common table expression)');
  const ctes = listItems(withClause.tables);
  const names = ctes.map((c) => identName(c.table)!);
  for (const c of ctes) {
    if (c.columns) {
      throw refuse(
        `a common table expression with a column list (${sourceOf(c.table as AstNode, src)}${sourceOf(c.columns as AstNode, src)}); name the columns with AS in its SELECT`,
      );
    }
  }
  const refs = tableReferences(query);
  const uses = new Map<string, number>();
  const bodies = new Map<string, Sql>();
  /** Replaces table references to the CTEs `visible` by their bodies. */
  const inline =
    (visible: ReadonlySet<string>) =>
    (n: AstNode): Sql | undefined => {
      if (n === withClause) return [];
      const ref = refs.get(n);
      const name = identName(n);
      if (ref === undefined || name === undefined || !visible.has(name)) return undefined;
      uses.set(name, (uses.get(name) ?? 0) + 1);
      return sql('(', bodies.get(name)!, ')', ref.aliased ? '' : ` AS "${name.replaceAll('"', '""')}"`);
    };
  ctes.forEach((c, i) => {
    walk(c.expr as AstNode, (n) => {
      const name = refs.has(n) ? identName(n) : undefined;
      if (name !== undefined && names.indexOf(name) >= i) {
        throw refuse(
          `a common table expression that names itself or a later one (${names[i]} reads ${name}); order the WITH so each reads only earlier ones`,
        );
      }
      return true;
    });
    // A CTE's body sees the CTEs before it.
    const body =
      (c.expr as AstNode).type === 'paren_expr' ? ((c.expr as AstNode).expr as AstNode) : (c.expr as AstNode);
    bodies.set(names[i], render(body, src, inline(new Set(names.slice(0, i)))));
  });
  const text = render(query, src, inline(new Set(names)));
  const repeated = [...uses].filter(([, n]) => n > 1).map(([name]) => name);
  if (repeated.length > 0) {
    throw refuse(
      `a common table expression named more than once (${repeated.join(', ')}): each reference would read the shards again; name it once, or write each use as a subquery in FROM`,
    );
  }
  return text.map((p) => (typeof p === 'string' ? p : `?${p.param + 1}`)).join('');
}

/** The SELECT that holds a query's WITH: the query itself, or the leftmost branch of a compound. */
function leftmostSelect(query: AstNode): AstNode | undefined {
  if (query.type === 'select_stmt') return query;
  if (query.type === 'compound_select_stmt') return leftmostSelect(query.left as AstNode);
  if (query.type === 'paren_expr' && isNode(query.expr)) return leftmostSelect(query.expr);
  return undefined;
}

/** Every bare table name used as a FROM item anywhere in `node`, and whether it has an alias. */
function tableReferences(node: AstNode): Map<AstNode, { aliased: boolean }> {
  const refs = new Map<AstNode, { aliased: boolean }>();
  const fromItem = (n: AstNode, aliased: boolean): void => {
    if (n.type === 'join_expr') {
      fromItem(n.left as AstNode, false);
      fromItem(n.right as AstNode, false);
    } else if (n.type === 'alias') fromItem(n.expr as AstNode, true);
    else if (n.type === 'paren_expr' && isNode(n.expr) && n.expr.type === 'join_expr')
      fromItem(n.expr, false);
    else if (n.type === 'identifier') refs.set(n, { aliased });
  };
  walk(node, (n) => {
    if (n.type === 'from_clause') fromItem(n.expr as AstNode, false);
    return true;
  });
  return refs;
}
