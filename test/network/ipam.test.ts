import { describe, expect, it } from 'vitest';
import { NodeStore } from '../../autoinfra/index.js';
import { openDatabase } from '../../engine/index.js';
import {
  intToIpv4,
  ipv4ToInt,
  MeshAllocator,
  meshPool,
  nextMeshAddress,
  parseCidr,
  SqliteMeshIpam,
} from '../../network/index.js';
import { codeOf } from '../support/errors.js';

describe('parseCidr', () => {
  it('normalises a network CIDR and computes network and broadcast', () => {
    const c = parseCidr('10.88.0.0/16');
    expect(c.text).toBe('10.88.0.0/16');
    expect(intToIpv4(c.network)).toBe('10.88.0.0');
    expect(intToIpv4(c.broadcast)).toBe('10.88.255.255');
  });

  it('rejects host bits, bad prefixes and bad octets naming the value', () => {
    expect(() => parseCidr('10.88.0.1/16')).toThrow(/10\.88\.0\.1\/16.*did you mean 10\.88\.0\.0\/16/);
    expect(() => parseCidr('10.88.0.0/33')).toThrow(/\/33.*0-32/);
    expect(() => parseCidr('10.256.0.0/16')).toThrow(/'10\.256\.0\.0' is not an IPv4 address/);
    expect(() => parseCidr('10.88.0.0')).toThrow(/expected <address>\/<prefix>/);
    expect(codeOf(() => parseCidr('fd00::/64'))).toBe('INVALID_ARGUMENT');
  });

  it('round-trips addresses through their integer form', () => {
    for (const a of ['0.0.0.0', '10.88.0.1', '192.168.255.254', '255.255.255.255']) {
      expect(intToIpv4(ipv4ToInt(a))).toBe(a);
    }
  });
});

describe('meshPool', () => {
  it('reserves the network, the hub (first host) and the broadcast address', () => {
    const pool = meshPool('10.88.0.0/29');
    expect(pool.hub).toBe('10.88.0.1');
    expect(intToIpv4(pool.firstNode)).toBe('10.88.0.2');
    expect(intToIpv4(pool.lastNode)).toBe('10.88.0.6');
    expect(pool.size).toBe(5);
  });

  it('rejects CIDRs with no room for a node', () => {
    expect(meshPool('10.0.0.0/30').size).toBe(1);
    expect(() => meshPool('10.0.0.0/31')).toThrow(/too small.*\/31/);
    expect(() => meshPool('10.0.0.0/32')).toThrow(/too small/);
  });
});

describe('MeshAllocator', () => {
  it('hands out every node address of a small CIDR exactly once, in order, then reports exhaustion', () => {
    for (let prefix = 24; prefix <= 30; prefix++) {
      const a = new MeshAllocator(`192.168.7.0/${prefix}`);
      const seen: string[] = [];
      for (let i = 0; i < a.pool.size; i++) seen.push(a.allocate());
      expect(new Set(seen).size).toBe(a.pool.size);
      expect(seen[0]).toBe('192.168.7.2');
      expect(seen).not.toContain('192.168.7.0');
      expect(seen).not.toContain('192.168.7.1');
      expect(seen).not.toContain(intToIpv4(a.pool.cidr.broadcast));
      expect(seen.map(ipv4ToInt)).toEqual([...seen.map(ipv4ToInt)].sort((x, y) => x - y));
      expect(codeOf(() => a.allocate())).toBe('INSUFFICIENT_CAPACITY');
    }
  });

  it('names the CIDR and its size when exhausted', () => {
    const a = new MeshAllocator('10.9.0.0/30');
    a.allocate();
    expect(() => a.allocate()).toThrow(/10\.9\.0\.0\/30 is exhausted: all 1 node addresses are in use/);
  });

  it('reuses a released address only after every other address was handed out', () => {
    const a = new MeshAllocator('10.0.0.0/29');
    const first = [a.allocate(), a.allocate(), a.allocate()];
    a.release(first[0]);
    expect(a.allocate()).toBe('10.0.0.5');
    expect(a.allocate()).toBe('10.0.0.6');
    expect(a.allocate()).toBe(first[0]);
  });

  it('is deterministic: the same sequence of calls gives the same addresses', () => {
    const run = () => {
      const a = new MeshAllocator('10.1.0.0/28');
      const held: string[] = [];
      const out: string[] = [];
      for (let i = 0; i < 36; i++) {
        if (i % 3 === 2) a.release(held.shift() as string);
        else {
          const ip = a.allocate();
          held.push(ip);
          out.push(ip);
        }
      }
      return out;
    };
    expect(run()).toEqual(run());
  });

  it('never holds two nodes on one address under any allocate/release interleaving of a /29', () => {
    // exhaustive over all 2^10 sequences of 10 operations (1 = allocate, 0 = release the oldest held)
    for (let mask = 0; mask < 1 << 10; mask++) {
      const a = new MeshAllocator('10.2.0.0/29');
      const held: string[] = [];
      for (let bit = 0; bit < 10; bit++) {
        if (mask & (1 << bit)) {
          if (held.length === a.pool.size) {
            expect(codeOf(() => a.allocate())).toBe('INSUFFICIENT_CAPACITY');
          } else {
            const ip = a.allocate();
            expect(held).not.toContain(ip);
            held.push(ip);
          }
        } else if (held.length > 0) {
          a.release(held.shift() as string);
        }
      }
      expect(a.allocatedCount).toBe(held.length);
    }
  });

  it('refuses to release an address it did not hand out', () => {
    const a = new MeshAllocator('10.0.0.0/29');
    expect(codeOf(() => a.release('10.0.0.2'))).toBe('NOT_FOUND');
  });

  it('wraps the cursor and skips addresses in use', () => {
    const pool = meshPool('10.0.0.0/29');
    const inUse = new Set([ipv4ToInt('10.0.0.2'), ipv4ToInt('10.0.0.3')]);
    expect(intToIpv4(nextMeshAddress(pool, inUse, ipv4ToInt('10.0.0.6')))).toBe('10.0.0.4');
  });
});

describe('SqliteMeshIpam', () => {
  function setup(cidr = '10.88.0.0/29') {
    const db = openDatabase(':memory:', { migrate: true });
    const ipam = new SqliteMeshIpam(db, cidr, new NodeStore(db));
    const add = (id: string) => db.prepare('INSERT INTO sys_nodes (id) VALUES (?)').run(id);
    const meshIp = (id: string) =>
      (db.prepare('SELECT mesh_ip FROM sys_nodes WHERE id = ?').get(id) as { mesh_ip: string | null })
        .mesh_ip;
    return { db, ipam, add, meshIp };
  }

  it('stores the allocated address in sys_nodes.mesh_ip and returns the same one on a repeated join', () => {
    const { ipam, add, meshIp } = setup();
    add('a');
    add('b');
    expect(ipam.allocate('a')).toBe('10.88.0.2');
    expect(ipam.allocate('b')).toBe('10.88.0.3');
    expect(ipam.allocate('a')).toBe('10.88.0.2');
    expect(meshIp('a')).toBe('10.88.0.2');
    expect(ipam.hubAddress).toBe('10.88.0.1');
  });

  it('does not reuse a released address before the rest of the pool, also across instances', () => {
    const { db, ipam, add, meshIp } = setup();
    for (const id of ['a', 'b', 'c']) {
      add(id);
      ipam.allocate(id);
    }
    ipam.release('a');
    expect(meshIp('a')).toBeNull();
    const again = new SqliteMeshIpam(db, '10.88.0.0/29', new NodeStore(db));
    add('d');
    expect(again.allocate('d')).toBe('10.88.0.5');
  });

  it('reports exhaustion and unknown nodes with clear codes', () => {
    const { ipam, add } = setup('10.88.0.0/30');
    add('a');
    add('b');
    ipam.allocate('a');
    expect(codeOf(() => ipam.allocate('b'))).toBe('INSUFFICIENT_CAPACITY');
    expect(() => ipam.allocate('zz')).toThrow(/node 'zz' does not exist/);
  });

  it('reallocates a node whose address lies outside a changed CIDR', () => {
    const { db, add, meshIp } = setup();
    add('a');
    db.prepare("UPDATE sys_nodes SET mesh_ip = '172.16.0.9' WHERE id = 'a'").run();
    expect(new SqliteMeshIpam(db, '10.88.0.0/29', new NodeStore(db)).allocate('a')).toBe('10.88.0.2');
    expect(meshIp('a')).toBe('10.88.0.2');
  });
});
