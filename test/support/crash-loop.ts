import type { ChildProcess } from 'node:child_process';
import { seededRandom } from '../../engine/index.js';

/** Starts the control-plane stand-in: `seed` for its randomness, `mode` e.g. `--until-converged`. */
export type StartChild = (seed: number, mode?: string) => ChildProcess;

/** Resolves with the exit code once the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/**
 * The crash loop shared by the crash tests: `kills` times, start the child, wait until it reports started
 * (its first line on stdout), then SIGKILL it a seeded random 0–`maxDelayMs` ms later. Finally run it with
 * `--until-converged` (SIGKILLed after 60 s) and require exit code 0.
 * @throws Error when the final run does not exit 0.
 */
export async function crashThenConverge(
  start: StartChild,
  options: { kills: number; seed: number; maxDelayMs: number; what: string },
): Promise<void> {
  const random = seededRandom(options.seed);
  for (let k = 0; k < options.kills; k++) {
    const child = start(k + options.seed * 1000);
    try {
      await new Promise<void>((resolve) => {
        child.stdout!.once('data', () => resolve());
        child.once('exit', () => resolve());
      });
      await new Promise((r) => setTimeout(r, random() * options.maxDelayMs));
    } finally {
      child.kill('SIGKILL');
      await exited(child);
    }
  }
  const last = start(99_999, '--until-converged');
  const timeout = setTimeout(() => last.kill('SIGKILL'), 60_000);
  const code = await exited(last);
  clearTimeout(timeout);
  if (code !== 0) throw new Error(`final ${options.what} run exited with ${code}`);
}
