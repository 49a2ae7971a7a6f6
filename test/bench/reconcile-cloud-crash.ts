/**
 * The cloud crash test at full size: per provider (aws, gcp), the control plane stand-in (a child process with
 * the real SDK) is SIGKILLed `INFRABASE_BENCH_CLOUD_CRASH_KILLS` times (default 100) at seeded random points while 20
 * rows provision against the test server in this process, then run to convergence. Run from the repo root:
 * `npx tsc -p . && node dist/test/bench/reconcile-cloud-crash.js [aws|gcp …]`; writes the
 * `reconciler-cloud-crash` section of docs/benchmarks.md.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { CloudKind } from '../autoinfra/cloud/support/clouds.js';
import { crashChildScript, runCrashTest } from '../autoinfra/support/crash.js';
import { tempDir } from '../support/tmp.js';
import { machineLine, writeSection } from './metrics-report.js';

const kills = Number(process.env.INFRABASE_BENCH_CLOUD_CRASH_KILLS ?? 100);
const kinds = (process.argv.slice(2).length ? process.argv.slice(2) : ['aws', 'gcp']) as CloudKind[];
const repo = join(import.meta.dirname, '../../..');
const lines: string[] = [];
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const loadBefore = load();
for (const kind of kinds) {
  const tmp = tempDir();
  try {
    const r = await runCrashTest({
      dir: tmp.dir,
      script: crashChildScript(repo),
      provider: kind,
      kills,
      rows: 20,
      seed: 42,
    });
    lines.push(
      `- ${kind}: ${r.kills} SIGKILLs at seeded random points 0–300 ms after start, 20 rows: ` +
        `${r.rowsWithExactlyOneInstance}/${r.rows} rows with exactly one instance, ${r.owned} owned instances, ` +
        `${r.orphans} orphans; ${r.createCalls} create requests (same-token retries included); ${(r.ms / 1000).toFixed(0)} s.`,
    );
    process.stdout.write(`${lines.at(-1)}\n`);
  } finally {
    tmp.cleanup();
  }
}
writeSection(
  'reconciler-cloud-crash',
  [
    '## Reconciler crash test against the cloud test servers (real SDKs)',
    '',
    machineLine(),
    `Load average (1, 5, 15 min) at the start: ${loadBefore}; at the end: ${load()}.`,
    'Produced by `node dist/test/bench/reconcile-cloud-crash.js` (run from the repo root). The test server runs in',
    'the benchmark process, so the cloud state survives every kill; the orphan collector is held off, so exactly one',
    'instance per row comes from the idempotency tokens alone.',
    '',
    ...lines,
  ].join('\n'),
);
process.exit(0);
