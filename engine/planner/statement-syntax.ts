/**
 * What other modules may know of one statement's syntax, from the planner's SQL parser (sql-parser-cst, SQLite
 * dialect), so the code base has one understanding of a statement: its kind, its function calls with their
 * source positions, its result columns, whether anything orders, groups or deduplicates rows. For decisions
 * about how to run a statement (batching, routing), never about whether it may run: that is what SQLite
 * reports when it prepares it (authorizer, `Statement.readonly`).
 */
import { type AstNode, funcArgs, identName, isNode, walk } from './ast.js';
import { parseStatement } from './parse.js';

/** One function call `name(args)` in a statement. Offsets are UTF-16 indexes into the statement's text. */
export interface FunctionCallSyntax {
  /** The function's name, lower-cased. */
  readonly name: string;
  /** [start, end) of the whole call. */
  readonly range: readonly [number, number];
  /** Index of the call's opening parenthesis. */
  readonly open: number;
  /** Number of arguments (`f()` has 0, `count(*)` 1). */
  readonly argCount: number;
  /** Per argument, its value when it is a string literal (`PREDICT('iris', a)` → ['iris', undefined]). */
  readonly literalArgs: readonly (string | undefined)[];
}

/** One result column of the statement's outermost SELECT. */
export interface ResultColumnSyntax {
  /** `*` or `t.*`: expands to an unknown number of columns. */
  readonly star: boolean;
  /** The column's name as SQLite reports it when it is a plain expression: its alias, else its source text. */
  readonly name: string;
  /** Whether the name is an alias (`expr AS name`). */
  readonly aliased: boolean;
  /** The call, when the column's expression is exactly one function call. */
  readonly call?: FunctionCallSyntax;
}

/** The syntax of one statement, see {@link statementSyntax}. */
export interface StatementSyntax {
  /**
   * The command in upper-case words, as Postgres' CommandComplete names it: `SELECT` (also for VALUES and
   * compounds), `INSERT` (also REPLACE), `UPDATE`, `DELETE`, `CREATE TABLE`, `DROP INDEX`, `ALTER TABLE`,
   * `BEGIN`, `COMMIT`, `ROLLBACK` (`ROLLBACK TO` a savepoint), `SAVEPOINT`, `PRAGMA`, `EXPLAIN`, …
   */
  readonly command: string;
  /** `read` for SELECT, VALUES, compounds and EXPLAIN of anything; `write` for every other statement. */
  readonly kind: 'read' | 'write';
  /** A query (SELECT, VALUES, a compound, with or without WITH): it can stand as a subquery. */
  readonly query: boolean;
  /** Every function call, in source order (an outer call before the calls in its arguments). */
  readonly calls: readonly FunctionCallSyntax[];
  /**
   * The outermost SELECT's result columns; undefined for a compound, VALUES or a statement that is not a
   * query.
   */
  readonly resultColumns?: readonly ResultColumnSyntax[];
  /**
   * Whether some clause anywhere can make a value decide which rows come back or in which order: ORDER BY,
   * GROUP BY, HAVING, DISTINCT, a compound (UNION, INTERSECT, EXCEPT), a window (OVER, WINDOW).
   */
  readonly shapesRows: boolean;
  /**
   * How often each identifier occurs (columns, tables, aliases; quoted names unquoted), by lower-cased name.
   */
  readonly identifiers: ReadonlyMap<string, number>;
  /** The values of every string literal, in source order. */
  readonly strings: readonly string[];
  /** End of the statement proper in the text: before a trailing `;`, whitespace and comments. */
  readonly end: number;
}

const READS = new Set(['select_stmt', 'compound_select_stmt', 'explain_stmt']);
const SHAPING = new Set([
  'order_by_clause',
  'group_by_clause',
  'having_clause',
  'window_clause',
  'compound_select_stmt',
  'over_arg',
  'select_distinct',
]);

const cache = new Map<string, StatementSyntax | null>();
const CACHE_SIZE = 64;

/**
 * The syntax of `sql` when it is exactly one statement the SQL parser accepts; undefined otherwise (the
 * statement then takes the paths that do not need its syntax, and SQLite reports on it). The last
 * {@link CACHE_SIZE} answers are remembered: the same text is often asked about twice per execution.
 *
 * @example
 * statementSyntax("SELECT PREDICT('m', a) FROM t")?.calls;
 * // [{ name: 'predict', range: [7, 22], open: 14, argCount: 2, literalArgs: ['m', undefined] }]
 */
export function statementSyntax(sql: string): StatementSyntax | undefined {
  const cached = cache.get(sql);
  if (cached !== undefined) return cached ?? undefined;
  let syntax: StatementSyntax | null;
  try {
    syntax = describe(parseStatement(sql).node, sql);
  } catch {
    syntax = null;
  }
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(sql, syntax);
  return syntax ?? undefined;
}

function describe(node: AstNode, text: string): StatementSyntax {
  const calls: FunctionCallSyntax[] = [];
  const identifiers = new Map<string, number>();
  const strings: string[] = [];
  let shapesRows = false;
  walk(node, (n) => {
    if (SHAPING.has(n.type)) shapesRows = true;
    else if (n.type === 'func_call') {
      const call = callSyntax(n);
      if (call) calls.push(call);
    } else if (n.type === 'identifier') {
      const name = identName(n)!;
      identifiers.set(name, (identifiers.get(name) ?? 0) + 1);
    } else if (n.type === 'string_literal') strings.push(String(n.value));
    return true;
  });
  const query = node.type === 'select_stmt' || node.type === 'compound_select_stmt';
  return {
    command: commandOf(node),
    kind: READS.has(node.type) ? 'read' : 'write',
    query,
    calls,
    resultColumns: node.type === 'select_stmt' ? resultColumns(node, text) : undefined,
    shapesRows,
    identifiers,
    strings,
    end: node.range![1],
  };
}

function commandOf(node: AstNode): string {
  switch (node.type) {
    case 'select_stmt':
    case 'compound_select_stmt':
      return 'SELECT';
    case 'start_transaction_stmt':
      return 'BEGIN';
    case 'commit_transaction_stmt':
      return 'COMMIT';
    case 'rollback_transaction_stmt':
      return node.savepoint ? 'ROLLBACK TO' : 'ROLLBACK';
    case 'release_savepoint_stmt':
      return 'RELEASE';
    default:
      return node.type
        .replace(/_stmt$/, '')
        .replaceAll('_', ' ')
        .toUpperCase();
  }
}

function callSyntax(n: AstNode): FunctionCallSyntax | undefined {
  const name = identName(n.name);
  const paren = n.args as AstNode | undefined;
  if (name === undefined || !paren?.range || !n.range) return undefined;
  const { args } = funcArgs(n);
  const literalArgs = args.map((a) => (a.type === 'string_literal' ? String(a.value) : undefined));
  return { name, range: n.range, open: paren.range[0], argCount: args.length, literalArgs };
}

function resultColumns(select: AstNode, text: string): ResultColumnSyntax[] | undefined {
  const clause = (select.clauses as AstNode[]).find((c) => c.type === 'select_clause');
  if (!clause) return undefined;
  const columns = clause.columns as AstNode | undefined;
  const items = columns?.type === 'list_expr' ? (columns.items as AstNode[]) : columns ? [columns] : [];
  return items.map((item): ResultColumnSyntax => {
    const aliased = item.type === 'alias';
    const expr = aliased ? (item.expr as AstNode) : item;
    const star =
      expr.type === 'all_columns' ||
      (expr.type === 'member_expr' && isNode(expr.property) && expr.property.type === 'all_columns');
    const call = expr.type === 'func_call' ? callSyntax(expr) : undefined;
    const name = aliased ? String((item.alias as AstNode).name) : text.slice(expr.range![0], expr.range![1]);
    return { star, name, aliased, call };
  });
}
