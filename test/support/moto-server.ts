import { type ChildProcess, spawn, spawnSync } from 'node:child_process';

/** How to start moto's server on this machine: `moto_server`, else `python3 -m moto.server`. */
interface MotoCommand {
  readonly file: string;
  readonly args: readonly string[];
}

/** How long moto's server may take to print its address, in ms (a Python import of moto takes ~2 s here). */
const START_TIMEOUT_MS = 30_000;

function findMoto(): MotoCommand | string {
  const direct = spawnSync('moto_server', ['--help'], { stdio: 'ignore', timeout: 20_000 });
  if (direct.status === 0) return { file: 'moto_server', args: [] };
  const module = spawnSync('python3', ['-m', 'moto.server', '--help'], { stdio: 'ignore', timeout: 20_000 });
  if (module.status === 0) return { file: 'python3', args: ['-m', 'moto.server'] };
  return 'moto_server is not installed (neither `moto_server` nor `python3 -m moto.server` runs; `pip install "moto[server]"`)';
}

let found: MotoCommand | string | undefined;

/** Why moto's server cannot be started here, or `undefined` when it can (checked once per process). */
export function motoUnavailable(): string | undefined {
  found ??= findMoto();
  return typeof found === 'string' ? found : undefined;
}

/**
 * moto's server (moto 5.x, `moto_server`) on 127.0.0.1 at a port it picks (`-p 0`), as a child process
 * stopped by its pid. It answers every AWS service's API on one endpoint; instances start `pending` and read
 * back `running`, `ClientToken` is not honoured, and `reset()` forgets every resource.
 *
 * @example
 * const moto = await MotoServer.start();
 * const client = new EC2Client({ endpoint: moto.endpoint, region: 'us-east-1' });
 * await moto.close();
 */
export class MotoServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly endpoint: string,
  ) {}

  /** @throws Error when moto is not installed or does not print its address within 30 s. */
  static async start(): Promise<MotoServer> {
    const reason = motoUnavailable();
    if (reason !== undefined) throw new Error(reason);
    const cmd = found as MotoCommand;
    const child = spawn(cmd.file, [...cmd.args, '-H', '127.0.0.1', '-p', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const endpoint = await new Promise<string>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(
        () => fail(new Error(`moto_server printed no address in ${START_TIMEOUT_MS} ms: ${output}`)),
        START_TIMEOUT_MS,
      );
      const fail = (err: Error) => {
        clearTimeout(timer);
        if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
        reject(err);
      };
      const read = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const m = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout?.on('data', read);
      child.stderr?.on('data', read);
      child.once('error', fail);
      child.once('exit', (code) =>
        fail(new Error(`moto_server exited with ${code} before listening: ${output}`)),
      );
    });
    child.stdout?.resume();
    child.stderr?.resume();
    return new MotoServer(child, endpoint);
  }

  /** Forgets every resource (moto's `POST /moto-api/reset`). */
  async reset(): Promise<void> {
    const res = await fetch(`${this.endpoint}/moto-api/reset`, { method: 'POST' });
    if (!res.ok) throw new Error(`moto reset answered HTTP ${res.status}`);
  }

  /** Stops the server (SIGTERM to its pid) and waits for it to exit. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    process.kill(this.child.pid, 'SIGTERM');
    await exited;
  }
}
