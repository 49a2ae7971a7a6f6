import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../support/tmp.js';
import { crashChildScript, runCrashTest } from '../support/crash.js';

/** Kills per provider: CI runs what fits in ~60 s each; the benchmark (test/bench/reconcile-cloud-crash.ts) runs 100. */
const KILLS = Number(process.env.INFRABASE_TEST_CLOUD_CRASH_KILLS ?? 10);

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

describe.each(['aws', 'gcp'] as const)('control plane SIGKILLed while provisioning on %s', (kind) => {
  it(`leaves exactly one instance per row and no orphan after ${KILLS} kills at seeded random points`, async () => {
    const r = await runCrashTest({
      dir: tmp.dir,
      script: crashChildScript(join(import.meta.dirname, '../../..')),
      provider: kind,
      kills: KILLS,
      rows: 20,
      seed: 42,
    });
    expect(r.rows).toBe(20);
    expect(r.rowsWithExactlyOneInstance).toBe(20);
    expect(r.owned).toBe(20);
    expect(r.orphans).toBe(0);
  }, 300_000);
});
