/**
 * Reconciler benchmark: the crash test at full size (100 SIGKILLs while 20 rows provision), lost replies and
 * server-side throttling against the fake cloud. Run: `npx tsc -p . && node dist/test/bench/reconcile-crash.js`.
 * Run from the repo root; writes the `reconciler` section of docs/benchmarks.md.
 */
import { join } from 'node:path';
import { TokenBucket } from '../../autoinfra/index.js';
import { systemClock } from '../../engine/index.js';
import { converge, dropReplies, fakeCloud } from '../autoinfra/support/converge.js';
import { crashChildScript, runCrashTest } from '../autoinfra/support/crash.js';
import { FakeProvider } from '../fakes/fake-provider.js';
import { tempDir } from '../support/tmp.js';
import { machineLine, writeSection } from './metrics-report.js';

const repo = join(import.meta.dirname, '../../..');
const kills = Number(process.env.INFRABASE_BENCH_CRASH_KILLS ?? 100);
const tmp = tempDir();
const lines: string[] = [];
try {
  const crash = await runCrashTest({
    dir: tmp.dir,
    script: crashChildScript(repo),
    provider: 'fake',
    kills,
    rows: 20,
    seed: 42,
  });
  lines.push(
    `- Crash test (fake cloud in a SQLite file, control plane SIGKILLed ${crash.kills} times at seeded random points 0–150 ms after start, 20 rows): ` +
      `${crash.instancesCreated} instances ever created, ${crash.rowsWithExactlyOneInstance}/${crash.rows} rows with exactly one instance, ${crash.orphans} orphans; ${(crash.ms / 1000).toFixed(1)} s.`,
  );
  const dropCloud = new FakeProvider({ name: 'aws', clusterId: 'c1' });
  const drop = await converge(fakeCloud(dropCloud, dropReplies(dropCloud, 0.3, 1)), {
    rows: 200,
    timeoutMs: 120_000,
  });
  lines.push(
    `- 30% of create replies lost after the launch, 200 rows: ${drop.instances} instances, ${drop.rowsWithExactlyOneInstance}/200 rows with exactly one; ` +
      `${drop.createCalls} create calls, ${(drop.apiCalls / drop.rows).toFixed(2)} API calls per launch, converged in ${drop.ms} ms.`,
  );
  const thrCloud = new FakeProvider({
    name: 'aws',
    clusterId: 'c1',
    throttle: new TokenBucket({ burst: 20, perSecond: 20 }, systemClock),
  });
  const thr = await converge(fakeCloud(thrCloud), { rows: 200, timeoutMs: 300_000 });
  lines.push(
    `- Server-side throttling (bucket of 20 refilling 20/s, THROTTLED when empty), 200 rows: ${thr.instances} instances, ` +
      `${thr.rowsWithExactlyOneInstance}/200 rows with exactly one; ${(thr.apiCalls / thr.rows).toFixed(2)} API calls per launch (throttled ones included), converged in ${thr.ms} ms.`,
  );
} finally {
  tmp.cleanup();
}
writeSection(
  'reconciler',
  [
    '## Reconciler (fake cloud)',
    '',
    machineLine(),
    'Produced by `node dist/test/bench/reconcile-crash.js` (run from the repo root).',
    '',
    ...lines,
  ].join('\n'),
);
