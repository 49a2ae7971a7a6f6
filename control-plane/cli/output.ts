import { type Command, CommanderError } from 'commander';
import { type ErrorCode, isInfrabaseError } from '../../engine/index.js';

/**
 * How the CLI answers: a table or text for people, or JSON with `--json` (errors as JSON too, in the HTTP API's
 * error shape). Exit codes (docs/api.md): {@link EXIT}.
 */

/** Exit codes of every `infrabase` command. */
export const EXIT = {
  /** Done. */
  OK: 0,
  /** The command ran and failed: an error answered by the control plane or found by the CLI (code printed). */
  FAILED: 1,
  /** Bad usage, refused before any request: unknown command or flag, invalid flag value, missing argument. */
  USAGE: 2,
  /** The control plane could not be reached (nothing was asked). */
  UNREACHABLE: 3,
} as const;

/** The `--json` flag every command takes. */
export interface OutputFlags {
  json?: boolean;
}

/** Adds `--json` to a command. */
export function jsonOption(command: Command): Command {
  return command.option('--json', 'print the answer as JSON (errors too: {"error": {"code", "message"}})');
}

/** Writes one JSON value as a line on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Writes `text` (a line is added) unless `--json`, else `json`. */
export function printResult(flags: OutputFlags, json: () => unknown, text: () => string): void {
  if (flags.json) printJson(json());
  else process.stdout.write(`${text()}\n`);
}

/** A failure as the CLI reports it: the error body of the HTTP API, and the exit code. */
export interface CliFailure {
  readonly body: { error: { code: ErrorCode; message: string } };
  readonly exitCode: number;
}

/**
 * Maps what a command threw to its report: an InfrabaseError keeps its code (`UNAVAILABLE` from an unreachable
 * control plane exits {@link EXIT.UNREACHABLE}); commander's usage errors become `INVALID_ARGUMENT` (exit
 * {@link EXIT.USAGE}) with commander's message minus its `error: ` prefix; anything else is `INTERNAL`.
 * @returns undefined for commander's help and version output, which are not failures.
 */
export function toFailure(err: unknown): CliFailure | undefined {
  if (err instanceof CommanderError) {
    if (err.exitCode === 0) return undefined;
    const message = err.message.replace(/^error: /, '');
    return { body: { error: { code: 'INVALID_ARGUMENT', message } }, exitCode: EXIT.USAGE };
  }
  if (isInfrabaseError(err)) {
    const unreachable = err.code === 'UNAVAILABLE' && err.details?.reachable === false;
    return {
      body: { error: { code: err.code, message: err.message } },
      exitCode: unreachable ? EXIT.UNREACHABLE : EXIT.FAILED,
    };
  }
  const message = (err as Error)?.message ?? String(err);
  return { body: { error: { code: 'INTERNAL', message } }, exitCode: EXIT.FAILED };
}

/**
 * Prints a failure on stderr, as JSON (`{"error": {"code", "message"}}`, one line) or as
 * `infrabase: CODE: message`. Commander already printed its own usage errors unless `json`.
 */
export function reportFailure(err: unknown, json: boolean): number {
  const failure = toFailure(err);
  if (!failure) return EXIT.OK;
  if (json) process.stderr.write(`${JSON.stringify(failure.body)}\n`);
  else if (!(err instanceof CommanderError)) {
    process.stderr.write(`infrabase: ${failure.body.error.code}: ${failure.body.error.message}\n`);
  }
  return failure.exitCode;
}
