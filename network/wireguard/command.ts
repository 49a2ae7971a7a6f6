import { spawn } from 'node:child_process';
import { InfrabaseError } from '../../engine/index.js';

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

export interface CommandOptions {
  /** Written to the command's stdin (e.g. a config for `wg syncconf <if> /dev/stdin`); never logged. */
  readonly input?: string;
  /** Kills the command after this many ms; default 10 000. */
  readonly timeoutMs?: number;
}

/** Runs one program without a shell. The shells of the network module go through this seam. */
export type CommandRunner = (
  file: string,
  args: readonly string[],
  options?: CommandOptions,
) => Promise<CommandResult>;

/**
 * The real {@link CommandRunner}: `spawn` without a shell, stdout/stderr collected.
 * @throws InfrabaseError `UNAVAILABLE` when the program is missing, exits non-zero (message has the command
 *   line and its stderr, never stdin) or is killed by the timeout.
 */
export const runCommand: CommandRunner = (file, args, options = {}) =>
  new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 10_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', (err) =>
      reject(new InfrabaseError('UNAVAILABLE', `cannot run ${file}: ${err.message}`, { cause: err })),
    );
    child.on('close', (code, signal) => {
      if (code === 0) return resolve({ stdout, stderr });
      reject(
        new InfrabaseError(
          'UNAVAILABLE',
          `${[file, ...args].join(' ')} failed (${signal ?? `exit ${code}`}): ${stderr.trim() || 'no output'}`,
          { retryable: false },
        ),
      );
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
