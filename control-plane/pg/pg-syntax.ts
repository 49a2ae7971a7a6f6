/**
 * What the Postgres front end needs to know of a statement before it runs, from parsers, never from a scan of
 * the text: where each statement of a multi-statement Query message ends, its command (for the CommandComplete
 * tag), whether the session answers it itself (SET, SHOW, BEGIN, …) and the highest `$n` it uses. The dialect
 * is SQLite's, so a statement is read with the engine's SQLite parser first ({@link statementSyntax}); what
 * only Postgres spells (SET, SHOW, RESET, DISCARD, DEALLOCATE, START TRANSACTION, ABORT, psql's catalog
 * queries) is read with Postgres' own parser and scanner (libpg-query, PostgreSQL's parser compiled to
 * WebAssembly). Nothing here decides permissions: those stay SQLite's (authorizer, `Statement.readonly`).
 */
import { loadModule, type Node, type ParseResult, parseSync, type ScanToken, scanSync } from 'libpg-query';
import { InfrabaseError, splitStatements as splitSqlite, statementSyntax } from '../../engine/index.js';

let loaded: Promise<void> | undefined;
let ready = false;

/** Loads Postgres' parser (WebAssembly); the functions below need it. Idempotent. */
export function loadPgParser(): Promise<void> {
  loaded ??= loadModule().then(() => {
    ready = true;
  });
  return loaded;
}

function assertLoaded(): void {
  if (!ready)
    throw new InfrabaseError('INTERNAL', "Postgres' parser is not loaded: await loadPgParser() first");
}

/** A statement the session answers itself, as Postgres parses it. */
export type SessionCommand =
  | { readonly kind: 'set'; readonly name: string; readonly value: string }
  | { readonly kind: 'reset'; readonly name?: string }
  | { readonly kind: 'show'; readonly name: string }
  | { readonly kind: 'begin'; readonly tag: 'BEGIN' | 'START TRANSACTION' }
  | { readonly kind: 'commit' }
  | { readonly kind: 'rollback' }
  | { readonly kind: 'discard'; readonly tag: string }
  | { readonly kind: 'deallocate'; readonly name?: string };

/** One statement as the front end sees it. */
export interface PgStatementSyntax {
  /** The command, upper-case (`SELECT`, `INSERT`, `CREATE TABLE`, `SET`, …); '' when no parser accepts it. */
  readonly command: string;
  /** Set when the session answers the statement itself. */
  readonly session?: SessionCommand;
  /** The statement as Postgres parses it, when it does (catalog queries are recognised on it). */
  readonly pg?: Node;
}

/**
 * The statements of a simple Query message's text, each without its `;`, empty ones dropped (an empty list
 * is an empty query). Split by Postgres' parser when it accepts the text; else at the `;` tokens of Postgres'
 * scanner (outside strings, quoted names, comments), and when that finds more than one statement by SQLite's
 * grammar if the SQL parser accepts the text, so a CREATE TRIGGER body keeps its `;`.
 */
export function splitQuery(sql: string): string[] {
  const parsed = parseAll(sql);
  if (parsed) {
    // One parse serves the split and each statement's syntax (seeded into the cache).
    return parsed.map(({ text, node }) => {
      remember(text, syntaxOf(text, node));
      return text;
    });
  }
  const out: string[] = [];
  let start: number | undefined;
  let end = 0;
  for (const t of scan(sql)) {
    if (isComment(t)) continue;
    if (t.text === ';') {
      if (start !== undefined) out.push(sql.slice(start, end));
      start = undefined;
    } else {
      start ??= t.start;
      end = t.end;
    }
  }
  if (start !== undefined) out.push(sql.slice(start, end));
  if (out.length <= 1) return out;
  const sqlite = splitSqlite(sql);
  if (!sqlite.parsedWhole) return out;
  const last = sqlite.rest.trim();
  return last ? [...sqlite.statements, last] : sqlite.statements;
}

const cache = new Map<string, PgStatementSyntax>();
const CACHE_SIZE = 64;

/**
 * The syntax of one statement (see {@link PgStatementSyntax}): from Postgres' parser when it accepts the
 * statement (fast, WebAssembly), else from the engine's SQLite parser (SQLite's own spellings: `INSERT OR
 * REPLACE`, `PRAGMA`, `BEGIN IMMEDIATE`, a column without a type). The last {@link CACHE_SIZE} answers are
 * remembered (a statement is asked about when it is described and again when it runs).
 */
export function pgStatementSyntax(sql: string): PgStatementSyntax {
  const cached = cache.get(sql);
  if (cached) return cached;
  const syntax = syntaxOf(sql, parsePg(sql));
  remember(sql, syntax);
  return syntax;
}

function remember(sql: string, syntax: PgStatementSyntax): void {
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(sql, syntax);
}

function syntaxOf(sql: string, pg: Node | undefined): PgStatementSyntax {
  let session = pg ? sessionCommand(pg) : undefined;
  let command = session ? sessionTag(session) : pg ? pgCommand(pg) : '';
  if (!command) {
    const sqlite = statementSyntax(sql)?.command ?? '';
    if (sqlite === 'BEGIN') session = { kind: 'begin', tag: 'BEGIN' };
    else if (sqlite === 'COMMIT') session = { kind: 'commit' };
    else if (sqlite === 'ROLLBACK') session = { kind: 'rollback' };
    command = sqlite;
  }
  return { command, session, pg };
}

/** The highest `$n` a statement uses (0 for none), from Postgres' scanner. */
export function maxParam(sql: string): number {
  return Math.max(
    0,
    ...scan(sql)
      .filter((t) => t.tokenName === 'PARAM')
      .map((t) => Number(t.text.slice(1))),
  );
}

/** Postgres' scanner tokens of `sql`; [] when it cannot scan it. */
export function scan(sql: string): ScanToken[] {
  assertLoaded();
  try {
    return scanSync(sql).tokens;
  } catch {
    return [];
  }
}

function isComment(t: ScanToken): boolean {
  return t.tokenName === 'SQL_COMMENT' || t.tokenName === 'C_COMMENT';
}

/**
 * The statements of `sql` as Postgres parses them, each with its text (the parser's statement span, which
 * keeps a trailing comment, whitespace trimmed); undefined when Postgres does not accept the text.
 */
function parseAll(sql: string): { text: string; node: Node }[] | undefined {
  assertLoaded();
  let result: ParseResult;
  try {
    result = parseSync(sql);
  } catch {
    return undefined;
  }
  return (result.stmts ?? []).flatMap((s) => {
    const from = s.stmt_location ?? 0;
    const text = sql.slice(from, s.stmt_len ? from + s.stmt_len : sql.length).trim();
    return s.stmt && text ? [{ text, node: s.stmt }] : [];
  });
}

function parsePg(sql: string): Node | undefined {
  assertLoaded();
  let result: ParseResult;
  try {
    result = parseSync(sql);
  } catch {
    return undefined;
  }
  return result.stmts?.length === 1 ? result.stmts[0].stmt : undefined;
}

/** The session command a Postgres parse is, if any. */
function sessionCommand(pg: Node): SessionCommand | undefined {
  if ('VariableSetStmt' in pg) {
    const s = pg.VariableSetStmt;
    if (s.kind === 'VAR_RESET_ALL') return { kind: 'reset' };
    if (s.kind === 'VAR_RESET' || s.kind === 'VAR_SET_DEFAULT') return { kind: 'reset', name: s.name ?? '' };
    if (s.kind === 'VAR_SET_VALUE' && s.name) {
      return { kind: 'set', name: s.name, value: (s.args ?? []).map(constText).join(', ') };
    }
    return { kind: 'set', name: '', value: '' }; // SET TRANSACTION …, SET SESSION CHARACTERISTICS …
  }
  if ('VariableShowStmt' in pg) return { kind: 'show', name: pg.VariableShowStmt.name ?? '' };
  if ('TransactionStmt' in pg) {
    switch (pg.TransactionStmt.kind) {
      case 'TRANS_STMT_BEGIN':
        return { kind: 'begin', tag: 'BEGIN' };
      case 'TRANS_STMT_START':
        return { kind: 'begin', tag: 'START TRANSACTION' };
      case 'TRANS_STMT_COMMIT':
        return { kind: 'commit' };
      case 'TRANS_STMT_ROLLBACK':
        return { kind: 'rollback' };
      default:
        return undefined;
    }
  }
  if ('DiscardStmt' in pg) {
    const target = String(pg.DiscardStmt.target ?? 'DISCARD_ALL').replace('DISCARD_', '');
    return { kind: 'discard', tag: `DISCARD ${target}` };
  }
  if ('DeallocateStmt' in pg) return { kind: 'deallocate', name: pg.DeallocateStmt.name };
  return undefined;
}

function sessionTag(c: SessionCommand): string {
  switch (c.kind) {
    case 'begin':
    case 'discard':
      return c.tag;
    default:
      return c.kind.toUpperCase();
  }
}

/** The text of a SET argument: a string as it is, a number as written, an identifier lower-cased. */
function constText(arg: Node): string {
  if (!('A_Const' in arg)) return '';
  const c = arg.A_Const;
  if (c.sval) return c.sval.sval ?? '';
  if (c.ival) return String(c.ival.ival ?? 0);
  if (c.fval) return c.fval.fval ?? '';
  if (c.boolval) return c.boolval.boolval ? 'on' : 'off';
  return '';
}

const DROPPED: Record<string, string> = {
  OBJECT_TABLE: 'DROP TABLE',
  OBJECT_INDEX: 'DROP INDEX',
  OBJECT_VIEW: 'DROP VIEW',
  OBJECT_TRIGGER: 'DROP TRIGGER',
};
const COMMANDS: Record<string, string> = {
  SelectStmt: 'SELECT',
  InsertStmt: 'INSERT',
  UpdateStmt: 'UPDATE',
  DeleteStmt: 'DELETE',
  CreateStmt: 'CREATE TABLE',
  IndexStmt: 'CREATE INDEX',
  ViewStmt: 'CREATE VIEW',
  CreateTrigStmt: 'CREATE TRIGGER',
  AlterTableStmt: 'ALTER TABLE',
  ExplainStmt: 'EXPLAIN',
};

/** The command of a Postgres parse as CommandComplete names it; '' for one the SQLite parser should name. */
function pgCommand(pg: Node): string {
  if ('DropStmt' in pg) return DROPPED[String(pg.DropStmt.removeType)] ?? '';
  return COMMANDS[Object.keys(pg)[0] ?? ''] ?? '';
}
