import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { openDatabase } from '../../../../engine/index.js';
import { crashThenConverge, type StartChild } from '../../../support/crash-loop.js';
import { type CloudKind, INSTANCE_TYPE, startCloud, ZONES } from './clouds.js';
import { type CloudTally, tallyCloud } from './tally.js';

/** The compiled child (tests run it from dist/). */
export function crashCloudChildScript(repoRoot: string): string {
  return join(repoRoot, 'dist/test/autoinfra/cloud/support/crash-cloud-child.js');
}

export interface CloudCrashResult extends CloudTally {
  readonly kind: CloudKind;
  readonly kills: number;
  /** Create requests the server received over all runs (retries with the same token included). */
  readonly createCalls: number;
  readonly ms: number;
}

/**
 * The crash test against a cloud test server: inserts `rows` rows, then `kills` times starts the control
 * plane stand-in (a child process over the same database file) and SIGKILLs it a seeded random 0–`maxDelayMs`
 * ms after it reports started; finally runs it to convergence and tallies the server's instances. The test
 * server runs in this process with `latencyMs` per call, so kills land between "cloud call done" and "row
 * updated". Throws if the final run does not converge within 60 s.
 */
export async function runCloudCrash(options: {
  dir: string;
  script: string;
  kind: CloudKind;
  kills: number;
  rows: number;
  seed: number;
  maxDelayMs?: number;
  latencyMs?: number;
}): Promise<CloudCrashResult> {
  const t0 = Date.now();
  const cloud = await startCloud(options.kind, { latencyMs: options.latencyMs ?? 5 });
  const dbPath = join(options.dir, `cp-${options.kind}.db`);
  const db = openDatabase(dbPath, { migrate: true });
  const children = new Set<ChildProcess>();
  try {
    const insert = db.prepare(
      'INSERT INTO sys_nodes (id, provider, instance_type, zone) VALUES (?, ?, ?, ?)',
    );
    for (let i = 0; i < options.rows; i++) {
      insert.run(
        `n-${String(i).padStart(3, '0')}`,
        options.kind,
        INSTANCE_TYPE[options.kind],
        ZONES[options.kind][0],
      );
    }
    const start: StartChild = (seed, mode) => {
      const child = spawn(
        process.execPath,
        [options.script, dbPath, options.kind, String(cloud.port), String(seed), ...(mode ? [mode] : [])],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    };
    await crashThenConverge(start, {
      kills: options.kills,
      seed: options.seed,
      maxDelayMs: options.maxDelayMs ?? 300,
      what: `${options.kind} reconciler`,
    });
    return {
      ...tallyCloud(db, cloud.live(), 'c1'),
      kind: options.kind,
      kills: options.kills,
      createCalls: cloud.createCalls().length,
      ms: Date.now() - t0,
    };
  } finally {
    for (const c of children) c.kill('SIGKILL');
    db.close();
    await cloud.close();
  }
}
