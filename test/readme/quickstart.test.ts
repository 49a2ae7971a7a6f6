import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/tmp.js';

/**
 * The README's quickstart, run as written: `npm start` in the repository, then every command of its `sh`
 * blocks in order from the repository directory, each required to exit 0; where the README shows output after a
 * block, every line of it must appear in what the block printed, once node ids, ports, decimals and timings are
 * masked. The control plane runs on a free port and a temp data dir through the environment
 * (`INFRABASE_PORT`, `INFRABASE_DATA_DIR`, `INFRABASE_PG_PORT`), which the README's commands honour as they stand.
 */

const REPO = join(import.meta.dirname, '..', '..');
/** How long a read-only command (a SELECT, curl) is re-run until its output is the README's, in ms. */
const SETTLE_MS = 90_000;

interface Step {
  /** The commands of one `sh` block, continuation lines and multi-line quotes joined. */
  commands: string[];
  /** The output block shown right after it, if any. */
  expected?: string;
}

/** The `sh` blocks of the README's "Quickstart" section and the output block after each. */
function quickstartSteps(readme: string): Step[] {
  const start = readme.indexOf('\n## Quickstart\n');
  if (start < 0) throw new Error('README.md has no "## Quickstart" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const steps: Step[] = [];
  for (const m of section.matchAll(/```(\w*)\n([\s\S]*?)```/g)) {
    const [, lang, body] = m;
    if (lang === 'sh') steps.push({ commands: splitCommands(body) });
    else if (lang === '' && steps.length > 0 && steps.at(-1)!.expected === undefined)
      steps.at(-1)!.expected = body;
  }
  return steps;
}

/** Shell commands of a block: a command runs on while a quote is open or a line ends in `\`; `#` lines are skipped. */
function splitCommands(block: string): string[] {
  const commands: string[] = [];
  let current = '';
  for (const line of block.split('\n')) {
    if (current === '' && (line.trim() === '' || line.trim().startsWith('#'))) continue;
    current += `${current ? '\n' : ''}${line}`;
    if (!quoteOpen(current) && !line.endsWith('\\')) {
      commands.push(current);
      current = '';
    }
  }
  if (current) throw new Error(`unterminated command in README block: ${current}`);
  return commands;
}

function quoteOpen(text: string): boolean {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === '"' && c === '\\') i++;
    else if (quote === undefined && c === '\\') i++;
    else if (quote === undefined && c === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
      const eol = text.indexOf('\n', i);
      if (eol < 0) break;
      i = eol;
    } else if (quote === undefined && (c === '"' || c === "'")) quote = c;
    else if (c === quote) quote = undefined;
  }
  return quote !== undefined;
}

/**
 * A line with what differs per run masked (node ids, ports, decimals, timings, and every number in a table cell:
 * measurements, and which node holds which row); table borders dropped. Empty for border-only lines.
 */
function normalise(line: string): string {
  const cells = line.includes('│') ? line.replace(/(?<=│\s*)-?\d+(\.\d+)?(e-?\d+)?(?=\s*│)/g, '#') : line;
  return cells
    .replace(/[┌┬┐├┼┤└┴┘─│]/g, ' ')
    .replace(/\bn-[0-9a-f]{12}\b/g, 'n-ID')
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT')
    .replace(/\b\d+ ms\b/g, '# ms')
    .replace(/-?\d+\.\d+(e-?\d+)?/g, '#')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The README lines missing from `actual` (as a multiset, in any order), after {@link normalise}. */
function missingLines(expected: string, actual: string): string[] {
  const have = actual.split('\n').map(normalise).filter(Boolean);
  const missing: string[] = [];
  for (const line of expected.split('\n').map(normalise).filter(Boolean)) {
    const at = have.indexOf(line);
    if (at < 0) missing.push(line);
    else have.splice(at, 1);
  }
  return missing;
}

const isRead = (command: string) => /^(curl |\.\/infrabase sql "SELECT)/.test(command);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function sh(command: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-o', 'pipefail', '-c', command],
      { cwd: REPO, env, timeout: 300_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

describe('the README quickstart', () => {
  const data = tempDir('infrabase-quickstart-');
  let server: ChildProcess | undefined;
  let serverOutput = '';

  let env: NodeJS.ProcessEnv | undefined;
  let stopCommands: string[] = [];

  afterAll(async () => {
    // After a failure part-way, the README's own stop (its last step): local nodes outlive the control plane.
    if (env && server?.exitCode === null) for (const command of stopCommands) await sh(command, env);
    if (server?.pid !== undefined && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      process.kill(-server.pid, 'SIGINT'); // Ctrl-C to `npm start`'s process group, as in a terminal
      await exited;
    }
    data.cleanup();
  });

  it('runs every command as written and prints what the README shows', async () => {
    const steps = quickstartSteps(readFileSync(join(REPO, 'README.md'), 'utf8'));
    expect(steps.length).toBeGreaterThanOrEqual(5);
    stopCommands = steps.at(-1)!.commands;
    expect(stopCommands.at(-1)).toMatch(/^\.\/infrabase down --nodes/);
    env = {
      ...process.env,
      INFRABASE_PORT: String(await freePort()),
      INFRABASE_PG_PORT: '0',
      INFRABASE_DATA_DIR: join(data.dir, 'infrabase-data'),
    };
    delete env.INFRABASE_URL;

    // "Start the control plane (`npm start`)", in its own process group like a terminal's foreground job
    server = spawn('npm', ['start'], { cwd: REPO, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout?.on('data', (c: Buffer) => {
      serverOutput += c.toString();
    });
    server.stderr?.resume();
    const deadline = Date.now() + 60_000;
    const started = server;
    while (!/listening on http/.test(serverOutput)) {
      if (started.exitCode !== null || Date.now() > deadline) throw new Error(`npm start: ${serverOutput}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(serverOutput).toContain(`listening on http://127.0.0.1:${env.INFRABASE_PORT}`);

    for (const step of steps) {
      let output = '';
      for (const [i, command] of step.commands.entries()) {
        const last = i === step.commands.length - 1;
        const settleBy = Date.now() + SETTLE_MS;
        for (;;) {
          const run = await sh(command, env);
          expect(run.code, `\`${command}\` exited ${run.code}:\n${run.output}`).toBe(0);
          const missing =
            last && step.expected !== undefined ? missingLines(step.expected, output + run.output) : [];
          if (missing.length === 0 || !isRead(command) || Date.now() > settleBy) {
            output += run.output;
            expect(missing, `\`${command}\` printed:\n${output}`).toEqual([]);
            break;
          }
          await new Promise((r) => setTimeout(r, 1_000));
        }
      }
    }
    // the last step stopped the control plane (`npm start` ends) and its nodes
    await new Promise<void>((resolve) =>
      server!.exitCode !== null ? resolve() : server!.once('exit', () => resolve()),
    );
  }, 600_000);
});
