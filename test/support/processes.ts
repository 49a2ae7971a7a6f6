import { execFileSync } from 'node:child_process';

/**
 * Pids of the live (not zombie) processes whose command line contains `text`, e.g. a test's temp dir: the SQL
 * workers get the database path as an argument.
 */
export function processesNaming(text: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes(text) && !/^\s*\d+\s+Z/.test(line))
    .map((line) => Number.parseInt(line, 10));
}

/** SIGKILLs every process {@link processesNaming} finds for `text` (test clean-up). */
export function killProcessesNaming(text: string): void {
  for (const pid of processesNaming(text)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
