import { type CloudProvider, Reconciler } from '../../../autoinfra/index.js';
import { type Database, openDatabase, seededRandom, systemClock } from '../../../engine/index.js';
import type { FakeProvider } from '../../fakes/fake-provider.js';
import { waitFor } from '../../support/tmp.js';

export interface ConvergeResult {
  readonly rows: number;
  readonly ms: number;
  readonly apiCalls: number;
  readonly createCalls: number;
  readonly instances: number;
  readonly rowsWithExactlyOneInstance: number;
}

/**
 * Inserts `rows` rows and runs a Reconciler (real clock) against `cloud` until every row has an instance
 * and is `booting`; counts calls and instances. `wrap` lets a caller add faults around the fake.
 */
export async function converge(options: {
  rows: number;
  cloud: FakeProvider;
  wrap?: (p: CloudProvider) => CloudProvider;
  rateLimit?: { burst: number; perSecond: number };
  concurrency?: number;
  timeoutMs?: number;
  seed?: number;
}): Promise<ConvergeResult> {
  const db: Database = openDatabase(':memory:', { migrate: true });
  const insert = db.prepare(`INSERT INTO sys_nodes (id, provider) VALUES (?, 'aws')`);
  db.transaction(() => {
    for (let i = 0; i < options.rows; i++) insert.run(`n-${i}`);
  })();
  const provider = options.wrap ? options.wrap(options.cloud) : options.cloud;
  const reconciler = new Reconciler({
    db,
    providers: [provider],
    clusterId: 'c1',
    clock: systemClock,
    random: seededRandom(options.seed ?? 7),
    concurrency: options.concurrency ?? 16,
    rateLimit: options.rateLimit,
    backoff: { baseMs: 20, capMs: 2000 },
    userData: (row, token) => `boot ${row.id} ${token}`,
  });
  const t0 = Date.now();
  reconciler.start();
  const open = db
    .prepare(`SELECT count(*) FROM sys_nodes WHERE instance_id IS NULL OR status <> 'booting'`)
    .pluck();
  try {
    await waitFor(() => open.get() === 0, options.timeoutMs ?? 30_000, 10);
  } finally {
    await reconciler.stop();
  }
  const ms = Date.now() - t0;
  const rows = db.prepare('SELECT id, instance_id FROM sys_nodes').all() as {
    id: string;
    instance_id: string;
  }[];
  db.close();
  const all = options.cloud.all();
  let exactlyOne = 0;
  for (const r of rows) {
    const mine = all.filter((i) => i.nodeId === r.id && i.state !== 'terminated');
    if (mine.length === 1 && mine[0].id === r.instance_id) exactlyOne++;
  }
  return {
    rows: rows.length,
    ms,
    apiCalls: options.cloud.calls.length,
    createCalls: options.cloud.count('create'),
    instances: all.length,
    rowsWithExactlyOneInstance: exactlyOne,
  };
}

/** A seeded fraction of the fake's create/delete replies are lost after the action was done. */
export function dropReplies(
  cloud: FakeProvider,
  fraction: number,
  seed: number,
): (p: CloudProvider) => CloudProvider {
  const random = seededRandom(seed);
  return (p) => ({
    name: p.name,
    create: (spec, token, signal) => {
      if (random() < fraction) cloud.dropReplyNext('create');
      return p.create(spec, token, signal);
    },
    delete: (id, signal) => p.delete(id, signal),
    get: (id, signal) => p.get(id, signal),
    listOwned: (signal) => p.listOwned(signal),
  });
}
