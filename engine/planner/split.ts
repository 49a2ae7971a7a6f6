/**
 * Splitting SQL text into statements with the planner's parser (sql-parser-cst, SQLite dialect), for prompts
 * that take several statements in one line or paste: a `;` inside a string, a comment or a trigger body never
 * splits, because the parser, not a scan of the text, says where each statement ends.
 */
import { FormattedSyntaxError } from 'sql-parser-cst';
import { PeggySyntaxError, parse } from 'sql-parser-cst/lib/parser.js';
import type { AstNode } from './ast.js';
import { PARAM_TYPES } from './parse.js';

/** What {@link splitStatements} found. */
export interface SplitStatements {
  /** The statements ended by `;`, in order, each as its source text without the `;`. */
  readonly statements: string[];
  /** The text after the last of them: a statement not ended yet (more input may complete it), or blank. */
  readonly rest: string;
  /**
   * The parser's message when `rest` holds a syntax error that no further input can repair (the parser stopped
   * before the end of the text); absent when `rest` is fine or only incomplete.
   */
  readonly syntaxError?: string;
  /** Whether the parser accepted the whole text (then `rest` is its last statement, not ended by `;`). */
  readonly parsedWhole: boolean;
}

/** How many `;` before a syntax error are tried as the end of the statements that precede it. */
const MAX_PREFIX_TRIES = 64;

/**
 * Splits `text` into the statements it ends with `;` and the rest.
 * - Parsed whole: every statement but an unterminated last one; e.g. `SELECT 1; SELECT 2` → `['SELECT 1']`,
 *   rest `SELECT 2`.
 * - A syntax error: the statements before it (the longest prefix ending in a `;` that parses), and the rest
 *   from there; `syntaxError` is set unless the parser merely reached the end of the text (an open statement,
 *   e.g. `SELECT 40 +` or a trigger body without `END;`).
 */
export function splitStatements(text: string): SplitStatements {
  const parsed = tryParse(text);
  if (parsed.statements) {
    const all = parsed.statements;
    const last = all.at(-1);
    const open = last && last.type !== 'empty' ? last : undefined;
    const ended = open ? all.slice(0, -1) : all;
    return {
      statements: ended.filter((s) => s.type !== 'empty').map((s) => sourceOf(text, s)),
      rest: open ? text.slice(open.range![0]) : '',
      parsedWhole: true,
    };
  }
  const { offset, atEnd, message } = parsed.error;
  let tries = 0;
  for (let end = text.lastIndexOf(';', offset - 1); end >= 0 && tries < MAX_PREFIX_TRIES; tries++) {
    const prefix = tryParse(text.slice(0, end + 1));
    if (prefix.statements) {
      return {
        statements: prefix.statements.filter((s) => s.type !== 'empty').map((s) => sourceOf(text, s)),
        rest: text.slice(end + 1),
        parsedWhole: false,
        ...(atEnd ? {} : { syntaxError: message }),
      };
    }
    end = text.lastIndexOf(';', end - 1);
  }
  return { statements: [], rest: text, parsedWhole: false, ...(atEnd ? {} : { syntaxError: message }) };
}

type Parsed =
  | { statements: AstNode[]; error?: undefined }
  | { statements?: undefined; error: { offset: number; atEnd: boolean; message: string } };

function tryParse(text: string): Parsed {
  try {
    const program = parse(text, {
      dialect: 'sqlite',
      includeRange: true,
      paramTypes: PARAM_TYPES,
    }) as unknown as { statements: AstNode[] };
    return { statements: program.statements };
  } catch (err) {
    if (!(err instanceof PeggySyntaxError)) throw err;
    const { offset, line, column } = err.location.start;
    return {
      error: {
        offset,
        atEnd: err.found === null,
        message: `${new FormattedSyntaxError(err, text).message.split('\n')[0]} (line ${line}, column ${column})`,
      },
    };
  }
}

const sourceOf = (text: string, node: AstNode) => text.slice(node.range![0], node.range![1]);
