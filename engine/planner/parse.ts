/**
 * The one SQL parser of the planner: sql-parser-cst (https://github.com/nene/sql-parser-cst) in its SQLite
 * dialect, with source ranges so generated SQL reuses the statement's own text.
 * @internal
 */
import { parse } from 'sql-parser-cst';
import { InfrabaseError } from '../errors.js';
import { type AstNode, type SourceText, walk } from './ast.js';

/** Parameter spellings SQLite accepts, plus `$NNN`. */
export const PARAM_TYPES: ('?' | '?nr' | '$nr' | ':name' | '@name' | '$name')[] = [
  '?',
  '?nr',
  '$nr',
  ':name',
  '@name',
  '$name',
];

/** One parsed statement and its source. */
export interface ParsedStatement {
  readonly node: AstNode;
  readonly src: SourceText;
}

/**
 * Parses exactly one SQLite statement. Positional parameters (`?`, `?NNN`) are numbered as SQLite numbers
 * them (`?` takes the largest number so far plus one); `$NNN` (Postgres' spelling) is the NNN-th, like `?NNN`.
 * @throws InfrabaseError('SQL_ERROR') with the parser's message (line and column) on a syntax error;
 *   InfrabaseError('INVALID_ARGUMENT') for more than one statement.
 */
export function parseStatement(text: string): ParsedStatement {
  let program: AstNode;
  try {
    program = parse(text, {
      dialect: 'sqlite',
      includeRange: true,
      paramTypes: PARAM_TYPES,
    }) as unknown as AstNode;
  } catch (err) {
    throw new InfrabaseError('SQL_ERROR', (err as Error).message, { cause: err });
  }
  const statements = (program.statements as AstNode[]).filter((s) => s.type !== 'empty');
  if (statements.length !== 1) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `expected exactly one SQL statement; got ${statements.length}`,
    );
  }
  const paramIndex = new Map<AstNode, number>();
  let next = 0;
  walk(statements[0], (n) => {
    if (n.type !== 'parameter') return true;
    const t = String(n.text);
    if (t === '?') paramIndex.set(n, next++);
    else if (/^[?$]\d+$/.test(t)) {
      const i = Number(t.slice(1)) - 1;
      paramIndex.set(n, i);
      next = Math.max(next, i + 1);
    } else paramIndex.set(n, -1);
    return false;
  });
  return { node: statements[0], src: { text, paramIndex } };
}

/**
 * Whether one statement reads or writes, from its syntax alone: `read` for SELECT, VALUES, compounds and
 * EXPLAIN of anything (which runs nothing), `write` for every other statement; undefined when the SQL is not
 * exactly one statement the parser accepts. For labels and guesses only: what SQLite reports when it
 * prepares a statement is what decides whether it may run.
 */
export function statementSyntaxKind(sql: string): 'read' | 'write' | undefined {
  let node: AstNode;
  try {
    node = parseStatement(sql).node;
  } catch {
    return undefined;
  }
  const reads = ['select_stmt', 'compound_select_stmt', 'explain_stmt'];
  return reads.includes(node.type) ? 'read' : 'write';
}
