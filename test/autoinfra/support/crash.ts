import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { openDatabase } from '../../../engine/index.js';
import { FakeProvider } from '../../fakes/fake-provider.js';
import { crashThenConverge, type StartChild } from '../../support/crash-loop.js';
import { type CloudKind, INSTANCE_TYPE, startCloud, ZONES } from '../cloud/support/clouds.js';
import { type CloudTally, tallyCloud } from '../cloud/support/tally.js';

/** Where the crash test provisions: the file-backed fake cloud, or the real SDK against a cloud test server. */
export type CrashProvider = 'fake' | CloudKind;

/** The compiled crash child (tests run it from dist/). */
export function crashChildScript(repoRoot: string): string {
  return join(repoRoot, 'dist/test/autoinfra/support/crash-child.js');
}

export interface CrashResult extends CloudTally {
  readonly provider: CrashProvider;
  readonly kills: number;
  /** Instances ever created, terminated ones included (the fake cloud keeps them; undefined for the servers). */
  readonly instancesCreated?: number;
  /** Create requests a test server received over all runs, retries included (undefined for the fake). */
  readonly createCalls?: number;
  readonly ms: number;
}

/**
 * The crash test: inserts `rows` rows, then `kills` times starts the control plane stand-in (a child process
 * over the same database file, crash-child.ts) and SIGKILLs it a seeded random 0–`maxDelayMs` ms after it
 * reports started; finally runs it to convergence and tallies the cloud's instances. The cloud outlives the
 * kills: the fake is a file, a test server runs in this process with `latencyMs` per call, so kills land
 * between "cloud call done" and "row updated". Throws if the final run does not converge within 60 s.
 */
export async function runCrashTest(options: {
  dir: string;
  script: string;
  provider: CrashProvider;
  kills: number;
  rows: number;
  seed: number;
  /** Default 150 ms for the fake, 300 ms for a test server. */
  maxDelayMs?: number;
  /** Test servers only; default 5 ms. */
  latencyMs?: number;
}): Promise<CrashResult> {
  const t0 = Date.now();
  const { provider } = options;
  const fakePath = join(options.dir, 'cloud.db');
  const server =
    provider === 'fake' ? undefined : await startCloud(provider, { latencyMs: options.latencyMs ?? 5 });
  const dbPath = join(options.dir, `cp-${provider}.db`);
  const db = openDatabase(dbPath, { migrate: true });
  const children = new Set<ChildProcess>();
  try {
    const insert = db.prepare(
      'INSERT INTO sys_nodes (id, provider, instance_type, zone) VALUES (?, ?, ?, ?)',
    );
    for (let i = 0; i < options.rows; i++) {
      const id = `n-${String(i).padStart(3, '0')}`;
      if (provider === 'fake') insert.run(id, 'aws', 't3.small', 'a');
      else insert.run(id, provider, INSTANCE_TYPE[provider], ZONES[provider][0]);
    }
    const cloud = server ? String(server.port) : fakePath;
    const start: StartChild = (seed, mode) => {
      const child = spawn(
        process.execPath,
        [options.script, dbPath, provider, cloud, String(seed), ...(mode ? [mode] : [])],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    };
    await crashThenConverge(start, {
      kills: options.kills,
      seed: options.seed,
      maxDelayMs: options.maxDelayMs ?? (server ? 300 : 150),
      what: `${provider} reconciler`,
    });
    if (server) {
      return {
        ...tallyCloud(db, server.live(), 'c1'),
        provider,
        kills: options.kills,
        createCalls: server.createCalls().length,
        ms: Date.now() - t0,
      };
    }
    const fake = new FakeProvider({ name: 'aws', clusterId: 'c1', path: fakePath });
    try {
      const all = fake.all();
      const live = all.filter((i) => i.state !== 'terminated');
      return {
        ...tallyCloud(db, live, 'c1'),
        provider,
        kills: options.kills,
        instancesCreated: all.length,
        ms: Date.now() - t0,
      };
    } finally {
      fake.close();
    }
  } finally {
    for (const c of children) c.kill('SIGKILL');
    db.close();
    await server?.close();
  }
}
