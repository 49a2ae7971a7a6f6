import { describe, expect, it } from 'vitest';
import {
  generateKeyPair,
  type MeshMember,
  planPeers,
  renderSetconf,
  renderWgQuick,
} from '../../network/index.js';

const key = () => generateKeyPair().publicKey;
const hub: MeshMember = {
  id: 'control-plane',
  meshIp: '10.88.0.1',
  publicKey: key(),
  endpoint: '192.0.2.1:51820',
};
const nodes: MeshMember[] = ['a', 'b', 'c'].map((id, i) => ({
  id,
  meshIp: `10.88.0.${i + 2}`,
  publicKey: key(),
  endpoint: `192.0.2.${i + 2}:51820`,
}));
const base = { cidr: '10.88.0.0/16', hub, members: nodes, now: 0 };

describe('planPeers', () => {
  it('gives a node in the hub topology only the hub, with the whole CIDR as allowed IPs', () => {
    expect(planPeers({ ...base, topology: 'hub', self: 'a' })).toEqual([
      { publicKey: hub.publicKey, endpoint: '192.0.2.1:51820', allowedIps: ['10.88.0.0/16'] },
    ]);
  });

  it('gives the hub every node with its /32', () => {
    const peers = planPeers({ ...base, topology: 'hub', self: 'control-plane' });
    expect(peers.map((p) => p.allowedIps[0]).sort()).toEqual([
      '10.88.0.2/32',
      '10.88.0.3/32',
      '10.88.0.4/32',
    ]);
  });

  it('gives a node in the full mesh every other member, hub included, with /32s and never itself', () => {
    const peers = planPeers({ ...base, topology: 'full', self: 'b' });
    expect(peers.map((p) => p.allowedIps[0]).sort()).toEqual([
      '10.88.0.1/32',
      '10.88.0.2/32',
      '10.88.0.4/32',
    ]);
    expect(peers.map((p) => p.publicKey)).not.toContain(nodes[1].publicKey);
  });

  it('leaves out members that have not joined (no public key) and removed members', () => {
    const members = [...nodes.slice(0, 2), { id: 'd', meshIp: '10.88.0.9', publicKey: '' }];
    const peers = planPeers({ ...base, members, topology: 'full', self: 'a' });
    expect(peers.map((p) => p.allowedIps[0]).sort()).toEqual(['10.88.0.1/32', '10.88.0.3/32']);
  });

  it('adds a rotating member staged key as a second entry without allowed IPs', () => {
    const next = key();
    const members = [{ ...nodes[0], nextPublicKey: next }, nodes[1]];
    const peers = planPeers({ ...base, members, topology: 'full', self: 'b' });
    expect(peers.find((p) => p.publicKey === next)).toEqual({
      publicKey: next,
      endpoint: nodes[0].endpoint,
      allowedIps: [],
    });
    expect(peers.find((p) => p.publicKey === nodes[0].publicKey)?.allowedIps).toEqual(['10.88.0.2/32']);
  });

  it('sorts peers by public key so the same membership renders the same bytes', () => {
    const one = renderSetconf({}, planPeers({ ...base, topology: 'full', self: 'a' }));
    const two = renderSetconf(
      {},
      planPeers({ ...base, members: [...nodes].reverse(), topology: 'full', self: 'a' }),
    );
    expect(one).toBe(two);
  });

  it('refuses to plan for a stranger', () => {
    expect(() => planPeers({ ...base, topology: 'full', self: 'zz' })).toThrow(/'zz' is not a member/);
  });
});

describe('renderSetconf and renderWgQuick', () => {
  const peer = { publicKey: nodes[0].publicKey, endpoint: '192.0.2.2:51820', allowedIps: ['10.88.0.2/32'] };

  it('renders the wg setconf format with no private key unless the node renders its own', () => {
    const text = renderSetconf({ listenPort: 51820 }, [{ ...peer, persistentKeepalive: 25 }]);
    expect(text).toBe(
      `[Interface]\nListenPort = 51820\n\n[Peer]\nPublicKey = ${peer.publicKey}\nAllowedIPs = 10.88.0.2/32\n` +
        'Endpoint = 192.0.2.2:51820\nPersistentKeepalive = 25\n',
    );
    expect(text).not.toMatch(/PrivateKey/);
  });

  it('renders wg-quick with the key loaded from the node file, or a placeholder', () => {
    const withFile = renderWgQuick(
      { address: '10.88.0.2/16', listenPort: 51820, privateKeyFile: '/var/lib/infrabase/wireguard.key' },
      [peer],
    );
    expect(withFile).toContain('Address = 10.88.0.2/16');
    expect(withFile).toContain('PostUp = wg set %i private-key /var/lib/infrabase/wireguard.key');
    expect(withFile).not.toMatch(/PrivateKey =/);
    expect(renderWgQuick({ address: '10.88.0.2/16' }, [])).toMatch(/PrivateKey = <this node private key/);
  });

  it('rejects malformed endpoints, ports, keys and allowed IPs naming the value', () => {
    expect(() => renderSetconf({}, [{ ...peer, endpoint: 'nohost' }])).toThrow(/endpoint 'nohost'/);
    expect(() => renderSetconf({}, [{ ...peer, endpoint: 'h:70000' }])).toThrow(/70000 is not a UDP port/);
    expect(() => renderSetconf({ listenPort: 0 }, [])).toThrow(/listen port 0/);
    expect(() => renderSetconf({}, [{ ...peer, publicKey: 'x' }])).toThrow(/public key 'x'/);
    expect(() => renderSetconf({}, [{ ...peer, allowedIps: ['10.0.0.1'] }])).toThrow(
      /allowed IP '10\.0\.0\.1'/,
    );
    expect(() => renderWgQuick({ address: '10.88.0.2/16', privateKeyFile: 'rel;rm' }, [])).toThrow(
      /absolute path/,
    );
  });
});
