import {
  type CloudProvider,
  type NodeRow,
  Reconciler,
  type ReconcilerSettings,
} from '../../../autoinfra/index.js';
import { type Database, openDatabase, seededRandom, systemClock } from '../../../engine/index.js';
import type { FakeProvider } from '../../fakes/fake-provider.js';
import { waitFor } from '../../support/tmp.js';
import { cloudBootData } from '../cloud/support/boot-data.js';
import { type CloudUnderTest, INSTANCE_TYPE, type ServerInstance, ZONES } from '../cloud/support/clouds.js';
import { type CloudTally, tallyCloud } from '../cloud/support/tally.js';

/**
 * What the convergence harness provisions on: the in-memory fake cloud ({@link fakeCloud}) or a cloud test
 * server with the real SDK provider ({@link serverCloud}).
 */
export interface ConvergeTarget {
  /** The provider of the rows (`sys_nodes.provider`). */
  readonly name: string;
  /** The provider the reconciler calls, for cluster `c1`. */
  readonly provider: CloudProvider;
  /** `sys_nodes` values of row `i`: id, instance type, zone. */
  row(i: number): [id: string, instanceType: string | null, zone: string | null];
  readonly userData: (row: NodeRow, token: string) => string;
  /** The reconciler's retry backoff on this target. */
  readonly backoff: ReconcilerSettings['backoff'];
  /** Instances not terminated, from the cloud's own state (not through the provider under test). */
  live(): readonly ServerInstance[];
  /** Requests the cloud received so far (failed and throttled ones included). */
  callCount(): number;
  /** Create requests received so far. */
  createCount(): number;
  /** Instances ever created, terminated ones included, where the cloud keeps them (the fake). */
  instancesEver?(): number;
}

/** The in-memory fake cloud as a target; `wrap` adds faults around it (e.g. {@link dropReplies}). */
export function fakeCloud(cloud: FakeProvider, wrap?: (p: CloudProvider) => CloudProvider): ConvergeTarget {
  return {
    name: 'aws',
    provider: wrap ? wrap(cloud) : cloud,
    row: (i) => [`n-${i}`, null, null],
    userData: (row, token) => `boot ${row.id} ${token}`,
    backoff: { baseMs: 20, capMs: 2000 },
    live: () => cloud.all().filter((i) => i.state !== 'terminated'),
    callCount: () => cloud.calls.length,
    createCount: () => cloud.count('create'),
    instancesEver: () => cloud.all().length,
  };
}

/** A cloud test server with the real SDK provider (and the control plane's real boot data) as a target. */
export function serverCloud(cloud: CloudUnderTest): ConvergeTarget {
  const provider = cloud.provider('c1');
  return {
    name: cloud.kind,
    provider,
    row: (i) => [`n-${String(i).padStart(4, '0')}`, INSTANCE_TYPE[cloud.kind], ZONES[cloud.kind][0]],
    userData: cloudBootData(provider),
    backoff: { baseMs: 50, capMs: 5_000 },
    live: () => cloud.live(),
    callCount: () => cloud.callCount(),
    createCount: () => cloud.createCalls().length,
  };
}

export interface ConvergeResult extends CloudTally {
  /** From the reconciler's start until every row had an instance and was `booting`, ms. */
  readonly ms: number;
  /** Requests the cloud received while converging (failed and throttled ones included). */
  readonly apiCalls: number;
  readonly createCalls: number;
  /** Instances ever created, where the target counts them (the fake). */
  readonly instances?: number;
  /** Peak resident set size of this process while converging, bytes. */
  readonly peakRssBytes: number;
}

/**
 * Inserts `rows` rows and runs a Reconciler in this process (real clock) against `target` until every row
 * has an instance and is `booting` (no agents run, so none gets `ready`), then stops it and tallies the cloud.
 * `settings` override the reconciler's (default concurrency 16, the target's backoff).
 * @throws when that does not happen within `timeoutMs` (default 30 s).
 */
export async function converge(
  target: ConvergeTarget,
  options: { rows: number; timeoutMs?: number; seed?: number; settings?: ReconcilerSettings },
): Promise<ConvergeResult> {
  const db: Database = openDatabase(':memory:', { migrate: true });
  const insert = db.prepare('INSERT INTO sys_nodes (id, provider, instance_type, zone) VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < options.rows; i++) {
      const [id, type, zone] = target.row(i);
      insert.run(id, target.name, type, zone);
    }
  })();
  const callsBefore = target.callCount();
  const createsBefore = target.createCount();
  const reconciler = new Reconciler({
    db,
    providers: [target.provider],
    clusterId: 'c1',
    clock: systemClock,
    random: seededRandom(options.seed ?? 7),
    concurrency: 16,
    backoff: target.backoff,
    userData: target.userData,
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
      options.timeoutMs ?? 30_000,
      10,
    );
  } finally {
    await reconciler.stop();
  }
  const ms = Date.now() - t0;
  try {
    return {
      ...tallyCloud(db, target.live(), 'c1'),
      ms,
      apiCalls: target.callCount() - callsBefore,
      createCalls: target.createCount() - createsBefore,
      ...(target.instancesEver ? { instances: target.instancesEver() } : {}),
      peakRssBytes: peak,
    };
  } finally {
    db.close();
  }
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
