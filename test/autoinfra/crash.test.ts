import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/tmp.js';
import { crashChildScript, runCrashTest } from './support/crash.js';

/** Kills per run; CI runs what fits in ~30 s, the benchmark (test/bench/reconcile-crash.ts) runs 100. */
const KILLS = Number(process.env.INFRABASE_TEST_CRASH_KILLS ?? 40);

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

// The same harness runs against the cloud test servers in cloud/crash.test.ts (a file of its own, so the two
// run side by side).
describe('reconciler crash safety on the fake cloud', () => {
  it(`leaves exactly one instance per row and no orphan after ${KILLS} SIGKILLs at seeded random points`, async () => {
    const r = await runCrashTest({
      dir: tmp.dir,
      script: crashChildScript(join(import.meta.dirname, '../..')),
      provider: 'fake',
      kills: KILLS,
      rows: 20,
      seed: 42,
    });
    expect(r.rows).toBe(20);
    expect(r.instancesCreated).toBe(20);
    expect(r.rowsWithExactlyOneInstance).toBe(20);
    expect(r.owned).toBe(20);
    expect(r.orphans).toBe(0);
  }, 300_000);
});
