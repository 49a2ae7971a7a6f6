import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { openDatabase } from '../../../engine/index.js';
import { FakeProvider } from '../../fakes/fake-provider.js';
import { crashThenConverge, type StartChild } from '../../support/crash-loop.js';

/** The compiled crash child (tests run it from dist/). */
export function crashChildScript(repoRoot: string): string {
  return join(repoRoot, 'dist/test/autoinfra/support/crash-child.js');
}

export interface CrashRunResult {
  readonly kills: number;
  readonly rows: number;
  /** Instances ever created (terminated ones included). */
  readonly instancesCreated: number;
  /** Rows whose recorded instance is running, and only that one instance exists for the node. */
  readonly rowsWithExactlyOneInstance: number;
  /** Owned running instances no row points at. */
  readonly orphans: number;
  readonly ms: number;
}

/**
 * The crash test: `rows` rows, then `kills` times start the control-plane stand-in and SIGKILL it after a
 * seeded random delay (0–`maxDelayMs` ms after it reports started); finally run it to convergence and count.
 */
export async function runCrashTest(options: {
  dir: string;
  script: string;
  kills: number;
  rows: number;
  seed: number;
  maxDelayMs?: number;
}): Promise<CrashRunResult> {
  const t0 = Date.now();
  const dbPath = join(options.dir, 'cp.db');
  const cloudPath = join(options.dir, 'cloud.db');
  const db = openDatabase(dbPath, { migrate: true });
  const insert = db.prepare(
    `INSERT INTO sys_nodes (id, provider, instance_type, zone) VALUES (?, 'aws', 't3.small', 'a')`,
  );
  for (let i = 0; i < options.rows; i++) insert.run(`n-${String(i).padStart(3, '0')}`);
  const start: StartChild = (seed, mode) =>
    spawn(
      process.execPath,
      [options.script, dbPath, cloudPath, 'c1', String(seed), ...(mode ? [mode] : [])],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
  await crashThenConverge(start, {
    kills: options.kills,
    seed: options.seed,
    maxDelayMs: options.maxDelayMs ?? 150,
    what: 'reconciler',
  });
  const fake = new FakeProvider({ name: 'aws', clusterId: 'c1', path: cloudPath });
  try {
    const all = fake.all();
    const rows = db.prepare('SELECT id, instance_id FROM sys_nodes').all() as {
      id: string;
      instance_id: string;
    }[];
    const running = all.filter((i) => i.state !== 'terminated');
    const referenced = new Set(rows.map((r) => r.instance_id));
    let exactlyOne = 0;
    for (const r of rows) {
      const mine = running.filter((i) => i.nodeId === r.id);
      if (mine.length === 1 && mine[0].id === r.instance_id) exactlyOne++;
    }
    return {
      kills: options.kills,
      rows: rows.length,
      instancesCreated: all.length,
      rowsWithExactlyOneInstance: exactlyOne,
      orphans: running.filter((i) => !referenced.has(i.id)).length,
      ms: Date.now() - t0,
    };
  } finally {
    fake.close();
    db.close();
  }
}
