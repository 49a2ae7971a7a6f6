import { InfrabaseError } from '../../engine/index.js';
import type { Token } from './sql-lexer.js';
import { leadingKeyword } from './sql-lexer.js';

/** Per-connection state the session commands read and change. */
export interface SessionState {
  /** ReadyForQuery status: `I` idle, `T` inside BEGIN … COMMIT, `E` a failed block. */
  status: 'I' | 'T' | 'E';
  /** Rows changed since BEGIN (already committed: each statement is its own SQLite transaction). */
  writesInBlock: number;
  /** Values given with SET, by lower-case name. */
  readonly settings: Map<string, string>;
}

/** Statements answered by the session itself, by leading keyword. */
export const SESSION_COMMANDS: ReadonlySet<string> = new Set([
  'SET',
  'SHOW',
  'RESET',
  'BEGIN',
  'START',
  'COMMIT',
  'END',
  'ROLLBACK',
  'ABORT',
  'DISCARD',
  'DEALLOCATE',
]);

/**
 * Run-time parameters as infrabase reports them (ParameterStatus at startup, SHOW, current_setting); the
 * values drivers check at connect.
 */
export const SERVER_PARAMETERS: Readonly<Record<string, string>> = {
  server_version: '15.0 (infrabase)',
  server_version_num: '150000',
  server_encoding: 'UTF8',
  client_encoding: 'UTF8',
  DateStyle: 'ISO, MDY',
  IntervalStyle: 'postgres',
  TimeZone: 'UTC',
  integer_datetimes: 'on',
  standard_conforming_strings: 'on',
  is_superuser: 'off',
  application_name: '',
  default_transaction_read_only: 'off',
  transaction_isolation: 'serializable',
  search_path: 'main',
  max_identifier_length: '63',
  statement_timeout: '0',
};

/** The value of a run-time parameter: what SET gave it, else the server's. */
export function settingValue(state: SessionState, name: string): string | undefined {
  const lower = name.toLowerCase();
  const set = state.settings.get(lower);
  if (set !== undefined) return set;
  const key = Object.keys(SERVER_PARAMETERS).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : SERVER_PARAMETERS[key];
}

/** The result of a session command: columns and text rows, and the CommandComplete tag. */
export interface SessionCommandResult {
  readonly columns: string[];
  readonly rows: string[][];
  readonly tag: string;
}

/**
 * Runs a statement of {@link SESSION_COMMANDS}. BEGIN/COMMIT mark a block for the client (each statement still
 * commits on its own); ROLLBACK of a block that changed rows fails, since those changes are committed.
 * @throws InfrabaseError `NOT_FOUND` for SHOW of an unknown parameter, `CONFLICT` for such a ROLLBACK.
 */
export function runSessionCommand(
  tokens: readonly Token[],
  state: SessionState,
  deallocate: (name: string) => void,
): SessionCommandResult {
  const keyword = leadingKeyword(tokens);
  const words = tokens.map((t) => (t.kind === 'word' ? t.text : t.text));
  const done = (tag: string): SessionCommandResult => ({ columns: [], rows: [], tag });
  switch (keyword) {
    case 'SET': {
      let i = 1;
      while (words[i] === 'SESSION' || words[i] === 'LOCAL') i++;
      const name = tokens[i]?.kind === 'quoted' ? tokens[i].text : (tokens[i]?.text ?? '').toLowerCase();
      const rest = tokens.slice(i + 1).filter((t) => !(t.kind === 'punct' && t.text === '='));
      const value = (rest[0]?.text === 'TO' && rest[0].kind === 'word' ? rest.slice(1) : rest)
        .map((t) => (t.kind === 'word' ? t.text.toLowerCase() : t.text))
        .join(' ');
      if (name && name !== 'characteristics' && name !== 'transaction') state.settings.set(name, value);
      return done('SET');
    }
    case 'RESET':
      if (words[1] === 'ALL') state.settings.clear();
      else state.settings.delete((tokens[1]?.text ?? '').toLowerCase());
      return done('RESET');
    case 'SHOW': {
      const name = (tokens[1]?.text ?? '').toLowerCase();
      if (name === 'all') {
        const names = Object.keys(SERVER_PARAMETERS);
        return {
          columns: ['name', 'setting'],
          rows: names.map((n) => [n, settingValue(state, n) ?? '']),
          tag: `SHOW`,
        };
      }
      const value = settingValue(state, name);
      if (value === undefined) {
        throw new InfrabaseError('NOT_FOUND', `unrecognized configuration parameter "${name}"`);
      }
      return { columns: [name], rows: [[value]], tag: 'SHOW' };
    }
    case 'BEGIN':
    case 'START':
      if (state.status === 'I') state.writesInBlock = 0;
      if (state.status !== 'E') state.status = 'T';
      return done(keyword === 'START' ? 'START TRANSACTION' : 'BEGIN');
    case 'COMMIT':
    case 'END': {
      const failed = state.status === 'E';
      state.status = 'I';
      return done(failed ? 'ROLLBACK' : 'COMMIT');
    }
    case 'ROLLBACK':
    case 'ABORT': {
      const written = state.writesInBlock;
      state.status = 'I';
      state.writesInBlock = 0;
      if (written > 0) {
        throw new InfrabaseError(
          'CONFLICT',
          `cannot roll back: infrabase commits every statement on its own, and the ${written} row change(s) since BEGIN are already committed`,
        );
      }
      return done('ROLLBACK');
    }
    case 'DISCARD':
      state.settings.clear();
      return done(`DISCARD ${words[1] ?? 'ALL'}`);
    case 'DEALLOCATE': {
      const target = tokens[1]?.text === 'PREPARE' ? tokens[2] : tokens[1];
      if (target) deallocate(target.kind === 'word' ? target.text.toLowerCase() : target.text);
      return done('DEALLOCATE');
    }
    default:
      throw new InfrabaseError('INTERNAL', `not a session command: ${keyword}`);
  }
}
