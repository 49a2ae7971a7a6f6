import { afterEach, describe, expect, it } from 'vitest';
import { type NodeRow, Reconciler } from '../../../autoinfra/index.js';
import { type Database, openDatabase, seededRandom, systemClock } from '../../../engine/index.js';
import { waitFor } from '../../support/tmp.js';
import { converge, serverCloud } from '../support/converge.js';
import { type CloudKind, type CloudUnderTest, INSTANCE_TYPE, startCloud, ZONES } from './support/clouds.js';

const KINDS: CloudKind[] = ['aws', 'gcp'];

let cloud: CloudUnderTest | undefined;
let db: Database | undefined;
let reconciler: Reconciler | undefined;
afterEach(async () => {
  await reconciler?.stop();
  db?.close();
  await cloud?.close();
  reconciler = undefined;
  db = undefined;
  cloud = undefined;
});

/** A reconciler over a fresh in-memory catalog; rows are found by a fast resync (no change feed here). */
function startReconciler(
  c: CloudUnderTest,
  extra: { capacityCooloffMs?: number; orphanGracePeriodMs?: number },
) {
  db = openDatabase(':memory:', { migrate: true });
  reconciler = new Reconciler({
    db,
    providers: [c.provider('c1')],
    clusterId: 'c1',
    clock: systemClock,
    random: seededRandom(3),
    resyncIntervalMs: 50,
    backoff: { baseMs: 20, capMs: 500 },
    orphanGracePeriodMs: 3_600_000,
    ...extra,
  });
  reconciler.start();
  return db;
}

const rowOf = (id: string) => db!.prepare('SELECT * FROM sys_nodes WHERE id = ?').get(id) as NodeRow;

describe.each(KINDS)('reconciler against the %s test server', (kind) => {
  it('keeps exactly one instance per row when 30% of create and delete replies are dropped after the action', async () => {
    cloud = await startCloud(kind, { dropRate: 0.3 });
    const r = await converge(serverCloud(cloud), { rows: 30, timeoutMs: 30_000 });
    expect(r.rows).toBe(30);
    expect(r.rowsWithExactlyOneInstance).toBe(30);
    expect(r.owned).toBe(30);
    expect(r.orphans).toBe(0);
    // Some replies really were dropped (a retried create adopts the instance or reuses the token).
    expect(cloud.droppedCalls()).toBeGreaterThan(0);
  }, 60_000);

  it('shows a capacity error in status_reason, stays off that (type, zone) during the cool-off and uses the alternative zone', async () => {
    cloud = await startCloud(kind);
    const [zoneA, zoneB] = ZONES[kind];
    const type = INSTANCE_TYPE[kind];
    cloud.faults.setCapacity(type, zoneA, false);
    const d = startReconciler(cloud, { capacityCooloffMs: 180_000 });
    d.prepare(`INSERT INTO sys_nodes (id, provider, instance_type, zone) VALUES ('n-only-a', ?, ?, ?)`).run(
      kind,
      type,
      zoneA,
    );
    await waitFor(() => /insufficient capacity/.test(rowOf('n-only-a').status_reason ?? ''), 10_000, 10);
    expect(rowOf('n-only-a').status).toBe('pending');
    expect(rowOf('n-only-a').status_reason).toContain(zoneA);
    expect(rowOf('n-only-a').status_reason).toMatch(/cooling off until/);

    d.prepare(
      `INSERT INTO sys_nodes (id, provider, instance_type, zone, spec) VALUES ('n-a-or-b', ?, ?, ?, ?)`,
    ).run(kind, type, zoneA, JSON.stringify({ zones: [zoneB] }));
    await waitFor(() => rowOf('n-a-or-b').status === 'booting', 10_000, 10);
    // Several resyncs pass while the first row waits out its cool-off.
    const resyncsSeen = cloud.callCount();
    await waitFor(() => cloud!.callCount() > resyncsSeen + 5 || rowOf('n-only-a').attempts > 1, 5_000, 20);

    const calls = cloud.createCalls();
    expect(calls.filter((c) => c.zone === zoneA)).toHaveLength(1);
    expect(calls.filter((c) => c.zone === zoneB)).toHaveLength(1);
    const live = cloud.live();
    expect(live.map((i) => i.nodeId)).toEqual(['n-a-or-b']);
    expect(rowOf('n-only-a')).toMatchObject({ status: 'pending', instance_id: null });
  }, 30_000);

  it('terminates only instances tagged with this cluster that no row records, once past the grace period', async () => {
    cloud = await startCloud(kind);
    // long enough that the first pass below surely runs inside it on a loaded machine
    const d = startReconciler(cloud, { orphanGracePeriodMs: 2_000 });
    d.prepare(`INSERT INTO sys_nodes (id, provider, instance_type, zone) VALUES ('n-kept', ?, ?, ?)`).run(
      kind,
      INSTANCE_TYPE[kind],
      ZONES[kind][0],
    );
    await waitFor(() => rowOf('n-kept').status === 'booting', 10_000, 10);
    const orphan = cloud.seed('orphan-1', { cluster: 'c1', node: 'n-ghost' });
    const untagged = cloud.seed('untagged-1', {});
    const foreign = cloud.seed('foreign-1', { cluster: 'c2', node: 'n-theirs' });

    const first = await reconciler!.collectOrphans();
    expect(first).toEqual([]);
    expect(cloud.live().map((i) => i.id)).toContain(orphan.id);

    // The reconciler's own collection passes (every resync) terminate it once it is past the grace period.
    await waitFor(() => !cloud!.live().some((i) => i.id === orphan.id), 10_000, 20);
    const ids = cloud.live().map((i) => i.id);
    expect(ids).not.toContain(orphan.id);
    expect(ids).toContain(untagged.id);
    expect(ids).toContain(foreign.id);
    expect(ids).toContain(rowOf('n-kept').instance_id);
  }, 30_000);
});

describe('reconciler against a throttling EC2 test server', () => {
  it('converges without duplicates under a bucket of 20 tokens refilling 2/s', async () => {
    cloud = await startCloud('aws', { throttle: { burst: 20, perSecond: 2 } });
    const r = await converge(serverCloud(cloud), {
      rows: 30,
      timeoutMs: 60_000,
      settings: { rateLimit: { burst: 20, perSecond: 2 } },
    });
    expect(r.rowsWithExactlyOneInstance).toBe(30);
    expect(r.owned).toBe(30);
    expect(r.orphans).toBe(0);
  }, 90_000);
});
