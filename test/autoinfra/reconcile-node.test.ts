import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CapacityCooloff,
  type CloudProvider,
  type Instance,
  type NodeRow,
  NodeStore,
  OrphanCollector,
  type ReconcileDeps,
  reconcileNode,
} from '../../autoinfra/index.js';
import { type Database, InfrabaseError, openDatabase } from '../../engine/index.js';
import { FakeProvider } from '../fakes/fake-provider.js';
import { ManualClock } from '../support/manual-clock.js';

let db: Database;
let store: NodeStore;
let clock: ManualClock;
let cloud: FakeProvider;
let deps: ReconcileDeps;
const drained: string[] = [];

beforeEach(() => {
  db = openDatabase(':memory:', { migrate: true });
  store = new NodeStore(db);
  clock = new ManualClock();
  cloud = new FakeProvider({ name: 'aws', clusterId: 'c1', now: () => clock.now() });
  drained.length = 0;
  deps = {
    store,
    providers: new Map([['aws', cloud]]),
    cooloff: new CapacityCooloff(180_000),
    clock,
    clusterId: 'c1',
    heartbeatTimeoutMs: 10_000,
    userData: (row, token) => `boot ${row.id} ${token}`,
    drain: async (row) => {
      drained.push(row.id);
    },
    signal: new AbortController().signal,
  };
});
afterEach(() => {
  cloud.close();
  db.close();
});

const insert = (id: string, extra = '') =>
  db.exec(`INSERT INTO sys_nodes (id, provider, instance_type, zone${extra ? ', spec' : ''})
           VALUES ('${id}', 'aws', 't3.small', 'a'${extra ? `, '${extra}'` : ''})`);
const row = (id: string) => store.get(id) as NodeRow;

/** Runs steps until the row settles (no immediate requeue) or 20 steps passed. */
async function settle(id: string) {
  for (let i = 0; i < 20; i++) {
    const r = await reconcileNode(deps, id);
    if (!r.requeue) return r;
  }
  throw new Error('did not settle');
}

describe('reconcileNode', () => {
  it('writes the idempotency token to the row before calling create', async () => {
    insert('n-1');
    const r = await reconcileNode(deps, 'n-1');
    expect(r).toMatchObject({ action: 'token-written', requeue: true });
    expect(row('n-1')).toMatchObject({ status: 'provisioning', idempotency_token: 'n-1-1-0', attempts: 1 });
    expect(cloud.count('create')).toBe(0);
  });

  it('launches with the stored token and records the instance as booting', async () => {
    insert('n-1');
    await settle('n-1');
    expect(cloud.calls.filter((c) => c.op === 'create').map((c) => c.arg)).toEqual(['n-1-1-0']);
    expect(row('n-1')).toMatchObject({ status: 'booting', instance_id: 'i-00000001' });
  });

  it('reuses the same token after a lost create reply, so exactly one instance exists', async () => {
    insert('n-1');
    cloud.dropReplyNext('create');
    await reconcileNode(deps, 'n-1');
    await expect(reconcileNode(deps, 'n-1')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(row('n-1').status_reason).toMatch(/retrying with the same token/);
    await settle('n-1');
    expect(cloud.calls.filter((c) => c.op === 'create').map((c) => c.arg)).toEqual(['n-1-1-0', 'n-1-1-0']);
    expect(cloud.all()).toHaveLength(1);
    expect(row('n-1').instance_id).toBe(cloud.all()[0].id);
  });

  it('throws retryable throttling errors for the shell to back off on, keeping the token', async () => {
    insert('n-1');
    await reconcileNode(deps, 'n-1');
    cloud.failNext('create', new InfrabaseError('THROTTLED', 'RequestLimitExceeded'));
    await expect(reconcileNode(deps, 'n-1')).rejects.toMatchObject({ code: 'THROTTLED', retryable: true });
    expect(row('n-1')).toMatchObject({ idempotency_token: 'n-1-1-0', status: 'provisioning' });
  });

  it('marks the row failed on INVALID_SPEC and stops', async () => {
    insert('n-1');
    await reconcileNode(deps, 'n-1');
    cloud.failNext('create', new InfrabaseError('INVALID_SPEC', 'image ami-x does not exist'));
    const r = await reconcileNode(deps, 'n-1');
    expect(r.action).toBe('failed');
    expect(row('n-1')).toMatchObject({
      status: 'failed',
      status_reason: 'INVALID_SPEC: image ami-x does not exist',
    });
    expect((await reconcileNode(deps, 'n-1')).action).toBe('failed');
  });

  it('on a capacity error shows it in status_reason and tries the alternative zone with a new token', async () => {
    insert('n-1', '{"zones":["b"]}');
    cloud.setCapacity('t3.small', 'a', false);
    await reconcileNode(deps, 'n-1');
    expect((await reconcileNode(deps, 'n-1')).action).toBe('capacity');
    expect(row('n-1').status_reason).toMatch(/insufficient capacity for t3\.small in a; cooling off until/);
    await settle('n-1');
    expect(cloud.calls.filter((c) => c.op === 'create').map((c) => c.arg)).toEqual(['n-1-1-0', 'n-1-2-1']);
    expect(cloud.all()).toMatchObject([{ zone: 'b' }]);
  });

  it('makes no call to a cooling (type, zone) until the cool-off ends', async () => {
    insert('n-1');
    cloud.setCapacity('t3.small', 'a', false);
    await reconcileNode(deps, 'n-1');
    await reconcileNode(deps, 'n-1');
    const r = await reconcileNode(deps, 'n-1');
    expect(r).toMatchObject({ action: 'cooling', requeueAfterMs: 180_000 });
    expect(row('n-1').status_reason).toMatch(/insufficient capacity for every allowed placement/);
    insert('n-2');
    expect((await reconcileNode(deps, 'n-2')).action).toBe('cooling');
    clock.advance(179_999);
    expect((await reconcileNode(deps, 'n-1')).action).toBe('cooling');
    expect(cloud.count('create')).toBe(1);
    cloud.setCapacity('t3.small', 'a', true);
    clock.advance(1);
    await settle('n-1');
    expect(cloud.count('create')).toBe(2);
    expect(row('n-1').status).toBe('booting');
  });

  it('turns a booting row ready on a heartbeat and unreachable when heartbeats stop', async () => {
    insert('n-1');
    await settle('n-1');
    db.prepare('UPDATE sys_nodes SET last_heartbeat_at = ? WHERE id = ?').run(clock.now(), 'n-1');
    expect((await reconcileNode(deps, 'n-1')).action).toBe('ready');
    clock.advance(9_999);
    expect((await reconcileNode(deps, 'n-1')).action).toBe('checked');
    clock.advance(1);
    expect((await reconcileNode(deps, 'n-1')).action).toBe('unreachable');
    expect(row('n-1').status_reason).toMatch(/no heartbeat for 10000 ms/);
    db.prepare('UPDATE sys_nodes SET last_heartbeat_at = ? WHERE id = ?').run(clock.now(), 'n-1');
    await reconcileNode(deps, 'n-1');
    expect(row('n-1')).toMatchObject({ status: 'ready', status_reason: 'heartbeat resumed' });
  });

  it('keeps a ready row ready when its heartbeat lands while the provider lookup is under way', async () => {
    insert('n-1');
    await settle('n-1');
    db.prepare('UPDATE sys_nodes SET last_heartbeat_at = ? WHERE id = ?').run(clock.now(), 'n-1');
    expect((await reconcileNode(deps, 'n-1')).action).toBe('ready');
    clock.advance(10_000); // the heartbeat read before the lookup is stale by now
    const heartbeatDuringLookup = {
      name: cloud.name,
      create: cloud.create.bind(cloud),
      delete: cloud.delete.bind(cloud),
      listOwned: cloud.listOwned.bind(cloud),
      get: async (id: string, signal: AbortSignal) => {
        const instance = await cloud.get(id, signal);
        db.prepare('UPDATE sys_nodes SET last_heartbeat_at = ? WHERE id = ?').run(clock.now(), 'n-1');
        return instance;
      },
    };
    const r = await reconcileNode({ ...deps, providers: new Map([['aws', heartbeatDuringLookup]]) }, 'n-1');
    expect(r.action).toBe('checked');
    expect(row('n-1').status).toBe('ready');
  });

  it("refreshes a booting row's status_reason when the instance turns running, keeping its registration timing", async () => {
    let state: Instance['state'] = 'pending';
    const booting: CloudProvider = {
      name: cloud.name,
      create: async (spec, token, signal) => ({ ...(await cloud.create(spec, token, signal)), state }),
      get: async (id, signal) => ({ ...(await cloud.get(id, signal)), state }),
      delete: cloud.delete.bind(cloud),
      listOwned: cloud.listOwned.bind(cloud),
    };
    deps = { ...deps, providers: new Map([['aws', booting]]), registrationTimeoutMs: 60_000 };
    insert('n-1');
    await settle('n-1');
    const id = row('n-1').instance_id;
    const bootingSince = row('n-1').updated_at;
    expect(row('n-1')).toMatchObject({
      status: 'booting',
      status_reason: `instance ${id} pending; waiting for the first heartbeat`,
    });
    clock.advance(1_000);
    expect((await reconcileNode(deps, 'n-1')).action).toBe('booting');
    expect(row('n-1').status_reason).toBe(`instance ${id} pending; waiting for the first heartbeat`);

    state = 'running';
    clock.advance(2_000);
    expect((await reconcileNode(deps, 'n-1')).action).toBe('booting');
    expect(row('n-1')).toMatchObject({
      status: 'booting',
      status_reason: `instance ${id} running; waiting for the first heartbeat`,
      updated_at: bootingSince,
    });
    clock.advance(60_000 - 3_000);
    expect((await reconcileNode(deps, 'n-1')).action).toBe('unregistered');
  });

  it('re-checks a booting row with a doubling delay capped at the heartbeat timeout', async () => {
    insert('n-1');
    const created = await settle('n-1');
    expect(created.requeueAfterMs).toBe(1000);
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      clock.advance(delays.at(-1) ?? 1000);
      const r = await reconcileNode(deps, 'n-1');
      expect(r.action).toBe('booting');
      delays.push(r.requeueAfterMs!);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('replaces a launch whose agent never heartbeats within the registration timeout, and keeps one that does', async () => {
    deps = { ...deps, registrationTimeoutMs: 60_000 };
    insert('n-1');
    insert('n-2');
    await settle('n-1');
    await settle('n-2');
    const first = row('n-1').instance_id;
    db.prepare('UPDATE sys_nodes SET last_heartbeat_at = ? WHERE id = ?').run(clock.now(), 'n-2');
    await reconcileNode(deps, 'n-2');
    clock.advance(59_999);
    const waiting = await reconcileNode(deps, 'n-1');
    expect(waiting).toMatchObject({ action: 'booting', requeueAfterMs: 1 });
    clock.advance(1);
    expect(await reconcileNode(deps, 'n-1')).toMatchObject({ action: 'unregistered', requeue: true });
    expect(row('n-1')).toMatchObject({ status: 'pending', instance_id: null, idempotency_token: null });
    expect(row('n-1').status_reason).toMatch(/did not register \(no heartbeat 60000 ms after it booted/);
    expect(cloud.count('delete')).toBe(1);
    await settle('n-1');
    expect(row('n-1')).toMatchObject({ status: 'booting', attempts: 2 });
    expect(row('n-1').instance_id).not.toBe(first);
    // n-2 heartbeated once and then went quiet: unreachable, never replaced for registration
    expect((await reconcileNode(deps, 'n-2')).action).toBe('unreachable');
    expect(cloud.count('delete')).toBe(1);
  });

  it('times registration from the recorded instance, not from a create call that retries delayed', async () => {
    deps = { ...deps, registrationTimeoutMs: 60_000 };
    insert('n-1');
    expect((await reconcileNode(deps, 'n-1')).action).toBe('token-written');
    clock.advance(120_000); // e.g. create throttled or the control plane down since the token was written
    await settle('n-1');
    expect(row('n-1').status).toBe('booting');
    clock.advance(1_000);
    expect((await reconcileNode(deps, 'n-1')).action).toBe('booting');
    expect(cloud.count('delete')).toBe(0);
  });

  it('skips the provider lookup for a ready row with a fresh heartbeat that was looked up recently', async () => {
    deps = { ...deps, lastLookup: new Map() };
    insert('n-1');
    await settle('n-1');
    db.prepare('UPDATE sys_nodes SET last_heartbeat_at = ? WHERE id = ?').run(clock.now(), 'n-1');
    expect((await reconcileNode(deps, 'n-1')).action).toBe('ready');
    const gets = cloud.count('get');
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      db.prepare('UPDATE sys_nodes SET last_heartbeat_at = ? WHERE id = ?').run(clock.now(), 'n-1');
      expect((await reconcileNode(deps, 'n-1')).action).toBe('checked');
    }
    expect(cloud.count('get')).toBe(gets);
    clock.advance(5000);
    db.prepare('UPDATE sys_nodes SET last_heartbeat_at = ? WHERE id = ?').run(clock.now(), 'n-1');
    await reconcileNode(deps, 'n-1');
    expect(cloud.count('get')).toBe(gets + 1);
  });

  it('replaces an instance terminated outside infrabase with a new token', async () => {
    insert('n-1');
    await settle('n-1');
    cloud.terminateOutside('i-00000001');
    expect((await reconcileNode(deps, 'n-1')).action).toBe('vanished');
    expect(row('n-1').status_reason).toMatch(/instance i-00000001 vanished/);
    await settle('n-1');
    expect(row('n-1')).toMatchObject({
      instance_id: 'i-00000002',
      idempotency_token: 'n-1-2-0',
      attempts: 2,
    });
  });

  it('on DELETE drains, terminates the instance and then removes the row', async () => {
    insert('n-1');
    await settle('n-1');
    db.prepare(`UPDATE sys_nodes SET endpoint = '127.0.0.1:1' WHERE id = 'n-1'`).run();
    db.exec(`DELETE FROM sys_nodes WHERE id = 'n-1'`);
    expect(row('n-1').desired_state).toBe('terminated');
    await settle('n-1');
    expect(drained).toEqual(['n-1']);
    expect(cloud.all()).toMatchObject([{ id: 'i-00000001', state: 'terminated' }]);
    expect(store.get('n-1')).toBeUndefined();
  });

  it('on DELETE of a data node waits while the termination gate says no, with its reason, then terminates', async () => {
    insert('n-1');
    await settle('n-1');
    let verdict = { ok: false, reason: 'draining: moving 7 of 11 shards' };
    const gated = { ...deps, terminationGate: () => verdict };
    db.exec(`DELETE FROM sys_nodes WHERE id = 'n-1'`);
    expect(await reconcileNode(gated, 'n-1')).toEqual({ action: 'waiting-for-data', requeueAfterMs: 1000 });
    expect(row('n-1')).toMatchObject({
      desired_state: 'terminated',
      status_reason: 'draining: moving 7 of 11 shards',
    });
    expect(drained).toEqual([]);
    expect(cloud.count('delete')).toBe(0);
    verdict = { ok: true, reason: 'holds no in-sync placement' };
    for (let i = 0; i < 20 && store.get('n-1'); i++) await reconcileNode(gated, 'n-1');
    expect(cloud.all()).toMatchObject([{ id: 'i-00000001', state: 'terminated' }]);
    expect(store.get('n-1')).toBeUndefined();
  });

  it('keeps a DELETEd data node that the termination gate holds running: a vanished instance is launched again', async () => {
    insert('n-1');
    await settle('n-1');
    let verdict = { ok: false, reason: 'draining: moving 3 of 3 shards' };
    const gated = { ...deps, terminationGate: () => verdict };
    db.exec(`DELETE FROM sys_nodes WHERE id = 'n-1'`);
    // Its agent dies while it still holds the only copies of shards: they can only leave a running node.
    cloud.terminateOutside('i-00000001');
    for (let i = 0; i < 20 && row('n-1').instance_id !== 'i-00000002'; i++) await reconcileNode(gated, 'n-1');
    expect(row('n-1')).toMatchObject({ desired_state: 'terminated', instance_id: 'i-00000002' });
    expect(cloud.all().map((x) => x.state)).toEqual(['terminated', 'running']);
    expect(await reconcileNode(gated, 'n-1')).toEqual({ action: 'waiting-for-data', requeueAfterMs: 1000 });
    expect(row('n-1').status_reason).toBe('draining: moving 3 of 3 shards');
    verdict = { ok: true, reason: 'holds no in-sync placement' };
    for (let i = 0; i < 20 && store.get('n-1'); i++) await reconcileNode(gated, 'n-1');
    expect(cloud.all().map((x) => x.state)).toEqual(['terminated', 'terminated']);
    expect(store.get('n-1')).toBeUndefined();
  });

  it('on DELETE during a launch terminates the instance found by its node tag', async () => {
    insert('n-1');
    await reconcileNode(deps, 'n-1');
    cloud.dropReplyNext('create');
    await expect(reconcileNode(deps, 'n-1')).rejects.toThrow();
    db.exec(`DELETE FROM sys_nodes WHERE id = 'n-1'`);
    await settle('n-1');
    expect(cloud.all()).toMatchObject([{ state: 'terminated' }]);
    expect(store.get('n-1')).toBeUndefined();
  });

  it('deletes a row that never reached the cloud at once', () => {
    insert('n-1');
    db.exec(`DELETE FROM sys_nodes WHERE id = 'n-1'`);
    expect(store.get('n-1')).toBeUndefined();
  });
});

describe('OrphanCollector', () => {
  it('removes only tagged instances past the grace period', async () => {
    insert('n-1');
    await settle('n-1');
    cloud.addInstance({
      id: 'i-orphan-old',
      nodeId: 'n-gone',
      clusterId: 'c1',
      launchedAt: clock.now() - 61_000,
    });
    cloud.addInstance({
      id: 'i-orphan-new',
      nodeId: 'n-gone2',
      clusterId: 'c1',
      launchedAt: clock.now() - 1000,
    });
    cloud.addInstance({ id: 'i-foreign', nodeId: 'n-gone', clusterId: 'other', launchedAt: 0 });
    cloud.addInstance({ id: 'i-untagged', launchedAt: 0 });
    cloud.addInstance({ id: 'i-dup', nodeId: 'n-1', clusterId: 'c1', launchedAt: 0 });
    const collector = new OrphanCollector({
      store,
      providers: deps.providers,
      clusterId: 'c1',
      clock,
      gracePeriodMs: 60_000,
    });
    const done = await collector.collect(new AbortController().signal);
    expect(done.map((o) => o.instance.id).sort()).toEqual(['i-dup', 'i-orphan-old']);
    const states = Object.fromEntries(cloud.all().map((i) => [i.id, i.state]));
    expect(states).toMatchObject({
      'i-00000001': 'running',
      'i-orphan-old': 'terminated',
      'i-orphan-new': 'running',
      'i-foreign': 'running',
      'i-untagged': 'running',
      'i-dup': 'terminated',
    });
  });
});
