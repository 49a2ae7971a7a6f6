import { InfrabaseError } from '../../engine/index.js';
import type { SessionCommand } from './pg-syntax.js';

/** Per-connection state the session commands read and change. */
export interface SessionState {
  /** ReadyForQuery status: `I` idle, `T` inside BEGIN … COMMIT, `E` a failed block. */
  status: 'I' | 'T' | 'E';
  /** Rows changed since BEGIN (already committed: each statement is its own SQLite transaction). */
  writesInBlock: number;
  /** Values given with SET, by lower-case name. */
  readonly settings: Map<string, string>;
}

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
 * Runs a session command (SET, RESET, SHOW, BEGIN, COMMIT, ROLLBACK, DISCARD, DEALLOCATE, as parsed by
 * `pgStatementSyntax`). BEGIN/COMMIT mark a block for the client (each statement still commits on its own);
 * ROLLBACK of a block that changed rows fails, since those changes are committed.
 * @throws InfrabaseError `NOT_FOUND` for SHOW of an unknown parameter, `CONFLICT` for such a ROLLBACK.
 */
export function runSessionCommand(
  command: SessionCommand,
  state: SessionState,
  deallocate: (name: string) => void,
): SessionCommandResult {
  const done = (tag: string): SessionCommandResult => ({ columns: [], rows: [], tag });
  switch (command.kind) {
    case 'set': {
      const name = command.name.toLowerCase();
      if (name) state.settings.set(name, command.value);
      return done('SET');
    }
    case 'reset':
      if (command.name === undefined) state.settings.clear();
      else state.settings.delete(command.name.toLowerCase());
      return done('RESET');
    case 'show': {
      const name = command.name.toLowerCase();
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
    case 'begin':
      if (state.status === 'I') state.writesInBlock = 0;
      if (state.status !== 'E') state.status = 'T';
      return done(command.tag);
    case 'commit': {
      const failed = state.status === 'E';
      state.status = 'I';
      return done(failed ? 'ROLLBACK' : 'COMMIT');
    }
    case 'rollback': {
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
    case 'discard':
      state.settings.clear();
      return done(command.tag);
    case 'deallocate':
      if (command.name !== undefined) deallocate(command.name);
      return done('DEALLOCATE');
  }
}
