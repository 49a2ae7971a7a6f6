import { Reconciler, type ReconcilerSettings } from '../../../../autoinfra/index.js';
import { type Database, openDatabase, seededRandom, systemClock } from '../../../../engine/index.js';
import { waitFor } from '../../../support/tmp.js';
import { cloudBootData } from './boot-data.js';
import { type CloudUnderTest, INSTANCE_TYPE, ZONES } from './clouds.js';
import { type CloudTally, tallyCloud } from './tally.js';

export interface CloudConvergeResult extends CloudTally {
  /** From the reconciler's start until every row had an instance and was `booting`, ms. */
  readonly ms: number;
  /** Requests the test server received (failed and throttled ones included). */
  readonly apiCalls: number;
  readonly createCalls: number;
  /** Peak resident set size of this process while converging, bytes. */
  readonly peakRssBytes: number;
}

/**
 * Inserts `rows` rows for `cloud.kind` and runs a Reconciler in this process (real clock, real SDK against
 * the test server) until every row has an instance and is `booting` (no agents run, so none gets `ready`),
 * then stops it and tallies the cloud. Throws if that does not happen within `timeoutMs`.
 */
export async function convergeCloud(
  cloud: CloudUnderTest,
  options: { rows: number; timeoutMs: number; seed?: number; settings?: ReconcilerSettings },
): Promise<CloudConvergeResult> {
  const db: Database = openDatabase(':memory:', { migrate: true });
  const insert = db.prepare('INSERT INTO sys_nodes (id, provider, instance_type, zone) VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < options.rows; i++) {
      insert.run(
        `n-${String(i).padStart(4, '0')}`,
        cloud.kind,
        INSTANCE_TYPE[cloud.kind],
        ZONES[cloud.kind][0],
      );
    }
  })();
  const callsBefore = cloud.callCount();
  const createsBefore = cloud.createCalls().length;
  const provider = cloud.provider('c1');
  const reconciler = new Reconciler({
    db,
    providers: [provider],
    clusterId: 'c1',
    clock: systemClock,
    random: seededRandom(options.seed ?? 7),
    concurrency: 16,
    backoff: { baseMs: 50, capMs: 5_000 },
    userData: cloudBootData(provider),
    ...options.settings,
  });
  const open = db
    .prepare(`SELECT count(*) FROM sys_nodes WHERE instance_id IS NULL OR status <> 'booting'`)
    .pluck();
  let peak = process.memoryUsage.rss();
  const t0 = Date.now();
  reconciler.start();
  try {
    await waitFor(
      () => {
        peak = Math.max(peak, process.memoryUsage.rss());
        return open.get() === 0;
      },
      options.timeoutMs,
      10,
    );
  } finally {
    await reconciler.stop();
  }
  const ms = Date.now() - t0;
  try {
    return {
      ...tallyCloud(db, cloud.live(), 'c1'),
      ms,
      apiCalls: cloud.callCount() - callsBefore,
      createCalls: cloud.createCalls().length - createsBefore,
      peakRssBytes: peak,
    };
  } finally {
    db.close();
  }
}
