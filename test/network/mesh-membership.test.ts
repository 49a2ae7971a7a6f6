import { afterEach, describe, expect, it } from 'vitest';
import { type NodeRow, NodeStore } from '../../autoinfra/index.js';
import { type Database, openDatabase } from '../../engine/index.js';
import {
  generateKeyPair,
  HUB_ID,
  MeshMembership,
  type MeshTopology,
  type WireGuardPeer,
} from '../../network/index.js';
import { ManualClock } from '../fakes/index.js';
import { codeOf } from '../support/errors.js';

const HEARTBEAT_MS = 1000;
const HUB_KEY = generateKeyPair().publicKey;

interface Fixture {
  db: Database;
  clock: ManualClock;
  mesh: MeshMembership;
  /** Inserts a launched node row (idempotency token set, as the reconciler leaves it). */
  add(id: string): NodeRow;
  row(id: string): NodeRow & Record<string, unknown>;
  /** Joins `id` from underlay address `ip` with a fresh key; returns the key and the reply. */
  join(id: string, ip: string): { key: string; reply: ReturnType<MeshMembership['join']> };
}

const open: Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

function fixture(topology: MeshTopology = 'full', cidr = '10.88.0.0/24'): Fixture {
  const db = openDatabase(':memory:', { migrate: true });
  open.push(db);
  const clock = new ManualClock();
  const mesh = new MeshMembership({
    db,
    nodes: new NodeStore(db),
    clock,
    mode: 'on',
    cidr,
    topology,
    listenPort: 51820,
    keyLeadMs: 2 * HEARTBEAT_MS,
    keyGraceMs: 2 * HEARTBEAT_MS,
  });
  mesh.setHub({ publicKey: HUB_KEY, endpoint: '10.231.0.1:51820', apiPort: 7420 });
  const row = (id: string) =>
    db.prepare('SELECT * FROM sys_nodes WHERE id = ?').get(id) as NodeRow & Record<string, unknown>;
  return {
    db,
    clock,
    mesh,
    row,
    add(id) {
      db.prepare(
        "INSERT INTO sys_nodes (id, provider, idempotency_token, status) VALUES (?, 'local', ?, 'booting')",
      ).run(id, `launch-${id}`);
      return row(id);
    },
    join(id, ip) {
      const key = generateKeyPair().publicKey;
      return { key, reply: mesh.join(row(id), { publicKey: key, capable: true }, ip) };
    },
  };
}

const keysOf = (peers: readonly WireGuardPeer[] | undefined) => (peers ?? []).map((p) => p.publicKey).sort();
const byKey = (peers: readonly WireGuardPeer[] | undefined, key: string) =>
  (peers ?? []).find((p) => p.publicKey === key);

describe('MeshMembership joins', () => {
  it('a join allocates a mesh address and records the public key and the WireGuard endpoint', () => {
    const f = fixture();
    f.add('n1');
    const { key, reply } = f.join('n1', '10.231.0.2');
    expect(reply.mode).toBe('on');
    expect(reply.address).toBe('10.88.0.2/24');
    expect(reply.listenPort).toBe(51820);
    expect(reply.topology).toBe('full');
    expect(reply.hubPublicKey).toBe(HUB_KEY);
    expect(reply.controlPlaneUrl).toBe('http://10.88.0.1:7420');
    const r = f.row('n1');
    expect(r.mesh_ip).toBe('10.88.0.2');
    expect(r.wg_public_key).toBe(key);
    expect(r.wg_endpoint).toBe('10.231.0.2:51820');
  });

  it('a join from an IPv4-mapped IPv6 source records the plain IPv4 endpoint', () => {
    const f = fixture();
    f.add('n1');
    f.join('n1', '::ffff:10.231.0.7');
    expect(f.row('n1').wg_endpoint).toBe('10.231.0.7:51820');
  });

  it('a repeated join keeps the address and takes the new key when no rotation is under way', () => {
    const f = fixture();
    f.add('n1');
    f.add('n2');
    const first = f.join('n1', '10.231.0.2');
    f.join('n2', '10.231.0.3');
    const again = f.join('n1', '10.231.0.2');
    expect(again.reply.address).toBe(first.reply.address);
    expect(f.row('n1').wg_public_key).toBe(again.key);
    expect(f.row('n2').mesh_ip).toBe('10.88.0.3');
  });

  it('a join over the mesh itself keeps the recorded underlay endpoint', () => {
    const f = fixture();
    f.add('n1');
    f.join('n1', '10.231.0.2');
    f.join('n1', '10.88.0.2');
    expect(f.row('n1').wg_endpoint).toBe('10.231.0.2:51820');
  });

  it('answers mode off with the reason, and allocates nothing, without a hub, for incapable nodes or over loopback', () => {
    const f = fixture();
    f.add('n1');
    const key = generateKeyPair().publicKey;
    expect(f.mesh.join(f.row('n1'), { publicKey: key, capable: false }, '10.231.0.2')).toEqual({
      mode: 'off',
      reason: 'mesh off: the node reported it cannot run WireGuard',
    });
    expect(f.mesh.join(f.row('n1'), { publicKey: key, capable: true }, '127.0.0.1').reason).toMatch(
      /loopback/,
    );
    f.mesh.setHub(null, 'mesh off: the process is not root');
    expect(f.mesh.join(f.row('n1'), { publicKey: key, capable: true }, '10.231.0.2')).toEqual({
      mode: 'off',
      reason: 'mesh off: the process is not root',
    });
    expect(f.row('n1').mesh_ip).toBeNull();
    expect(f.row('n1').wg_public_key).toBeNull();
  });

  it('rejects a join report without a valid WireGuard public key as INVALID_ARGUMENT', () => {
    const f = fixture();
    f.add('n1');
    expect(codeOf(() => f.mesh.join(f.row('n1'), { publicKey: 'abc', capable: true }, '10.231.0.2'))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(codeOf(() => f.mesh.join(f.row('n1'), undefined, '10.231.0.2'))).toBe('INVALID_ARGUMENT');
  });

  it('a full CIDR answers INSUFFICIENT_CAPACITY', () => {
    const f = fixture('full', '10.88.0.0/30');
    f.add('n1');
    f.add('n2');
    f.join('n1', '10.231.0.2');
    expect(codeOf(() => f.join('n2', '10.231.0.3'))).toBe('INSUFFICIENT_CAPACITY');
  });
});

describe('MeshMembership peer lists', () => {
  it('in full mesh a heartbeat serves the hub and every other member, each with its /32 and endpoint', () => {
    const f = fixture('full');
    const keys: string[] = [];
    for (const [i, id] of ['n1', 'n2', 'n3'].entries()) {
      f.add(id);
      keys.push(f.join(id, `10.231.0.${i + 2}`).key);
    }
    const reply = f.mesh.heartbeat(f.row('n1'), { up: true, peerKeys: [] });
    expect(keysOf(reply?.peers)).toEqual([HUB_KEY, keys[1], keys[2]].sort());
    expect(byKey(reply?.peers, keys[1])).toEqual({
      publicKey: keys[1],
      endpoint: '10.231.0.3:51820',
      allowedIps: ['10.88.0.3/32'],
    });
    expect(byKey(reply?.peers, HUB_KEY)).toEqual({
      publicKey: HUB_KEY,
      endpoint: '10.231.0.1:51820',
      allowedIps: ['10.88.0.1/32'],
    });
    expect(reply?.keyActivateAt).toBeNull();
    expect(reply?.nextChangeAt).toBeNull();
  });

  it('in hub topology a node peers only with the hub for the whole CIDR, and the hub with every node', () => {
    const f = fixture('hub');
    const keys: string[] = [];
    for (const [i, id] of ['n1', 'n2', 'n3'].entries()) {
      f.add(id);
      keys.push(f.join(id, `10.231.0.${i + 2}`).key);
    }
    const reply = f.mesh.heartbeat(f.row('n2'), { up: true });
    expect(reply?.peers).toEqual([
      { publicKey: HUB_KEY, endpoint: '10.231.0.1:51820', allowedIps: ['10.88.0.0/24'] },
    ]);
    const hub = f.mesh.peersFor(HUB_ID);
    expect(keysOf(hub)).toEqual([...keys].sort());
    expect(byKey(hub, keys[2])?.allowedIps).toEqual(['10.88.0.4/32']);
  });

  it('a member that joined later appears in the next heartbeat reply of the others', () => {
    const f = fixture('full');
    f.add('n1');
    f.join('n1', '10.231.0.2');
    expect(keysOf(f.mesh.heartbeat(f.row('n1'), { up: true })?.peers)).toEqual([HUB_KEY]);
    f.add('n2');
    const { key } = f.join('n2', '10.231.0.3');
    expect(keysOf(f.mesh.heartbeat(f.row('n1'), { up: true })?.peers)).toEqual([HUB_KEY, key].sort());
  });

  it('a heartbeat without a mesh report, or from a node that never joined the mesh, gets no peer list', () => {
    const f = fixture('full');
    f.add('n1');
    f.add('n2');
    f.join('n1', '10.231.0.2');
    expect(f.mesh.heartbeat(f.row('n1'), undefined)).toBeNull();
    expect(f.mesh.heartbeat(f.row('n2'), { up: false })).toBeNull();
    expect(f.mesh.peersFor('n2')).toEqual([]);
  });

  it('a deleted node leaves the other nodes at once, the hub once it is terminated, and its address is released then', () => {
    const f = fixture('full');
    const keys: string[] = [];
    for (const [i, id] of ['n1', 'n2', 'n3'].entries()) {
      f.add(id);
      keys.push(f.join(id, `10.231.0.${i + 2}`).key);
    }
    f.db.prepare('DELETE FROM sys_nodes WHERE id = ?').run('n3');
    expect(f.row('n3').desired_state).toBe('terminated');
    expect(keysOf(f.mesh.heartbeat(f.row('n1'), { up: true })?.peers)).toEqual([HUB_KEY, keys[1]].sort());
    // the reconciler drains it over the mesh, so the hub keeps it as a peer while it is being terminated
    expect(keysOf(f.mesh.peersFor(HUB_ID))).toEqual([...keys].sort());
    expect(f.mesh.tick()).toEqual([]);
    expect(f.row('n3').mesh_ip).toBe('10.88.0.4');
    f.db.prepare("UPDATE sys_nodes SET status = 'terminated' WHERE id = 'n3'").run();
    expect(keysOf(f.mesh.peersFor(HUB_ID))).toEqual([keys[0], keys[1]].sort());
    expect(f.mesh.tick()).toEqual(['n3']);
    expect(f.row('n3').mesh_ip).toBeNull();
    expect(f.mesh.tick()).toEqual([]);
  });

  it('a released address is handed out again only after the rest of the pool', () => {
    const f = fixture('full', '10.88.0.0/29');
    for (const id of ['n1', 'n2']) f.add(id);
    f.join('n1', '10.231.0.2');
    f.join('n2', '10.231.0.3');
    f.db
      .prepare("UPDATE sys_nodes SET desired_state = 'terminated', status = 'terminated' WHERE id = 'n1'")
      .run();
    f.mesh.tick();
    const fresh = ['n3', 'n4', 'n5', 'n6'].map((id, i) => {
      f.add(id);
      return f.join(id, `10.231.0.${i + 4}`).reply.address;
    });
    expect(fresh).toEqual(['10.88.0.4/29', '10.88.0.5/29', '10.88.0.6/29', '10.88.0.2/29']);
  });
});

describe('MeshMembership key rotation', () => {
  /** Three joined nodes in full mesh, every side acknowledging the current peer lists. */
  function rotating() {
    const f = fixture('full');
    const keys: Record<string, string> = {};
    for (const [i, id] of ['n1', 'n2', 'n3'].entries()) {
      f.add(id);
      keys[id] = f.join(id, `10.231.0.${i + 2}`).key;
    }
    const next = generateKeyPair().publicKey;
    /** A heartbeat of `id` acknowledging what it was last served. */
    const beat = (id: string, nextPublicKey: string | null = null) => {
      const served = f.mesh.peersFor(id).map((p) => p.publicKey);
      return f.mesh.heartbeat(f.row(id), { up: true, nextPublicKey, peerKeys: served });
    };
    const hubApplies = () => f.mesh.hubApplied(f.mesh.peersFor(HUB_ID));
    return { f, keys, next, beat, hubApplies };
  }

  it('a staged key is recorded and served to peers as a second entry without allowed IPs', () => {
    const { f, keys, next, beat } = rotating();
    beat('n1', next);
    expect(f.row('n1').wg_next_public_key).toBe(next);
    expect(f.row('n1').wg_public_key).toBe(keys.n1);
    const peers = f.mesh.peersFor('n2');
    expect(byKey(peers, keys.n1)?.allowedIps).toEqual(['10.88.0.2/32']);
    expect(byKey(peers, next)).toEqual({ publicKey: next, endpoint: '10.231.0.2:51820', allowedIps: [] });
    expect(byKey(f.mesh.peersFor(HUB_ID), next)?.allowedIps).toEqual([]);
  });

  it('the switch is not scheduled until the hub and every peer acknowledged the staged key', () => {
    const { f, next, beat, hubApplies } = rotating();
    beat('n1', next);
    f.mesh.tick();
    expect(f.row('n1').wg_key_activate_at).toBeNull();
    beat('n2');
    beat('n3');
    f.mesh.tick();
    expect(f.row('n1').wg_key_activate_at).toBeNull();
    hubApplies();
    f.clock.advance(10);
    f.mesh.tick();
    expect(f.row('n1').wg_key_activate_at).toBe(f.clock.now() + 2 * HEARTBEAT_MS);
  });

  it('in hub topology the hub alone acknowledges a staged key', () => {
    const f = fixture('hub');
    for (const [i, id] of ['n1', 'n2'].entries()) {
      f.add(id);
      f.join(id, `10.231.0.${i + 2}`);
    }
    const next = generateKeyPair().publicKey;
    f.mesh.heartbeat(f.row('n1'), { up: true, nextPublicKey: next, peerKeys: [HUB_KEY] });
    f.mesh.hubApplied(f.mesh.peersFor(HUB_ID));
    f.mesh.tick();
    expect(f.row('n1').wg_key_activate_at).toBe(f.clock.now() + 2 * HEARTBEAT_MS);
  });

  it('at the scheduled instant peers move the allowed IPs to the new key, and after the grace period the new key is stored', () => {
    const { f, keys, next, beat, hubApplies } = rotating();
    beat('n1', next);
    beat('n2');
    beat('n3');
    hubApplies();
    f.mesh.tick();
    const at = Number(f.row('n1').wg_key_activate_at);

    const before = beat('n1', next);
    expect(before?.keyActivateAt).toBe(at);
    expect(before?.nextChangeAt).toBe(at);
    expect(beat('n2')?.nextChangeAt).toBe(at);

    f.clock.advance(at - f.clock.now());
    const peers = f.mesh.peersFor('n2');
    expect(byKey(peers, keys.n1)).toBeUndefined();
    expect(byKey(peers, next)?.allowedIps).toEqual(['10.88.0.2/32']);
    expect(beat('n2')?.nextChangeAt).toBeNull();

    f.clock.advance(2 * HEARTBEAT_MS - 1);
    f.mesh.tick();
    expect(f.row('n1').wg_public_key).toBe(keys.n1);
    f.clock.advance(1);
    f.mesh.tick();
    const done = f.row('n1');
    expect(done.wg_public_key).toBe(next);
    expect(done.wg_next_public_key).toBeNull();
    expect(done.wg_key_activate_at).toBeNull();
    expect(byKey(f.mesh.peersFor('n3'), next)?.allowedIps).toEqual(['10.88.0.2/32']);
  });

  it('a rejoin during a rotation keeps the current key, and a heartbeat advertising the current key stages nothing', () => {
    const { f, keys, next, beat } = rotating();
    beat('n1', next);
    f.mesh.join(f.row('n1'), { publicKey: next, capable: true }, '10.231.0.2');
    expect(f.row('n1').wg_public_key).toBe(keys.n1);
    beat('n2', keys.n2);
    expect(f.row('n2').wg_next_public_key).toBeNull();
  });

  it('rejects a heartbeat report with a malformed staged key as INVALID_ARGUMENT', () => {
    const { f } = rotating();
    expect(codeOf(() => f.mesh.heartbeat(f.row('n1'), { up: true, nextPublicKey: 'nope' }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(codeOf(() => f.mesh.heartbeat(f.row('n1'), { up: true, peerKeys: 'x' }))).toBe('INVALID_ARGUMENT');
  });
});
