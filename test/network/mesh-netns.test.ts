import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type MeshMember,
  type MeshTopology,
  NodeKeyStore,
  planPeers,
  WireGuardDriver,
} from '../../network/index.js';
import { tempDir, waitFor } from '../support/tmp.js';
import { createNetnsLab, type NetnsLab, netnsSkipReason } from './netns.js';

const skip = netnsSkipReason();
const CIDR = '10.88.0.0/24';
const PORT = 51820;

/** Member 0 is the hub (control plane, 10.88.0.1); members 1..3 are nodes 10.88.0.2..4. */
describe.skipIf(skip !== null)(
  `WireGuard mesh across network namespaces${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let lab: NetnsLab | undefined;
    let tmp: ReturnType<typeof tempDir>;
    const drivers: WireGuardDriver[] = [];
    const stores: NodeKeyStore[] = [];
    let members: MeshMember[] = [];

    const meshIp = (i: number) => `10.88.0.${i + 1}`;
    const plan = (i: number, topology: MeshTopology, now = 0) =>
      planPeers({
        topology,
        cidr: CIDR,
        hub: members[0],
        members: members.slice(1),
        self: members[i].id,
        now,
      });
    const reachable = (from: number, to: number) => waitFor(() => lab!.ping(from, meshIp(to)), 15_000, 50);

    beforeAll(async () => {
      tmp = tempDir('infrabase-mesh-');
      lab = await createNetnsLab(4);
      for (let i = 0; i < 4; i++) {
        const dir = join(tmp.dir, `node-${i}`);
        mkdirSync(dir);
        stores.push(new NodeKeyStore(dir));
        members.push({
          id: i === 0 ? 'control-plane' : `n${i}`,
          meshIp: meshIp(i),
          publicKey: stores[i].current().publicKey,
          endpoint: `${lab.underlayIp(i)}:${PORT}`,
        });
        drivers.push(
          new WireGuardDriver({
            ifname: lab.ifname(i),
            implementation: 'userspace',
            netns: lab.namespaces[i],
          }),
        );
      }
      await lab.exec(0, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
      for (let i = 0; i < 4; i++) {
        await drivers[i].up({
          address: `${meshIp(i)}/24`,
          listenPort: PORT,
          privateKeyFile: stores[i].currentPath,
          peers: plan(i, 'full'),
        });
      }
    });

    afterAll(async () => {
      try {
        for (const d of drivers) await d.down();
      } finally {
        await lab?.destroy();
        tmp?.cleanup();
      }
    });

    it('brings every member up with its key and the rendered peers, as wg show reports them', async () => {
      for (let i = 0; i < 4; i++) {
        const dump = await drivers[i].show();
        expect(dump.publicKey).toBe(members[i].publicKey);
        expect(dump.listenPort).toBe(PORT);
        const expected = plan(i, 'full')
          .map((p) => ({ publicKey: p.publicKey, endpoint: p.endpoint, allowedIps: p.allowedIps }))
          .sort((a, b) => a.publicKey.localeCompare(b.publicKey));
        const actual = dump.peers
          .map((p) => ({ publicKey: p.publicKey, endpoint: p.endpoint, allowedIps: p.allowedIps }))
          .sort((a, b) => a.publicKey.localeCompare(b.publicKey));
        expect(actual).toEqual(expected);
      }
    });

    it('in the full mesh, every member pings every other over its mesh address', async () => {
      for (let from = 0; from < 4; from++) {
        for (let to = 0; to < 4; to++) if (from !== to) expect(await reachable(from, to)).toBe(true);
      }
      const dump = await drivers[1].show();
      expect(dump.peers.every((p) => p.latestHandshake > 0)).toBe(true);
    });

    it('removing a node with syncconf drops it from the others and keeps the rest connected', async () => {
      const removed = members[3];
      members = members.slice(0, 3);
      for (let i = 0; i < 3; i++) await drivers[i].apply(plan(i, 'full'), PORT);
      for (let i = 0; i < 3; i++) {
        const keys = (await drivers[i].show()).peers.map((p) => p.publicKey);
        expect(keys).not.toContain(removed.publicKey);
        expect(keys).toHaveLength(2);
      }
      expect(await lab!.ping(1, meshIp(3))).toBe(false);
      expect(await reachable(1, 2)).toBe(true);
    });

    it('in the hub topology, nodes peer only with the hub and reach each other through it', async () => {
      for (let i = 0; i < 3; i++) await drivers[i].apply(plan(i, 'hub'), PORT);
      const nodeView = await drivers[1].show();
      expect(nodeView.peers.map((p) => [p.publicKey, p.allowedIps])).toEqual([
        [members[0].publicKey, ['10.88.0.0/24']],
      ]);
      expect(await reachable(1, 0)).toBe(true);
      expect(await reachable(1, 2)).toBe(true);
      expect(await reachable(2, 1)).toBe(true);
    });

    it('rotates a node key: the staged key waits without allowed IPs, then the switch keeps the link', async () => {
      for (let i = 0; i < 3; i++) await drivers[i].apply(plan(i, 'full'), PORT);
      expect(await reachable(1, 2)).toBe(true);
      const oldKey = members[1].publicKey;
      const nextKey = stores[1].stageNext();
      members[1] = { ...members[1], nextPublicKey: nextKey };
      for (const i of [0, 2]) await drivers[i].apply(plan(i, 'full'), PORT);
      const staged = (await drivers[2].show()).peers.find((p) => p.publicKey === nextKey);
      expect(staged?.allowedIps).toEqual([]);
      expect(await reachable(2, 1)).toBe(true);

      const activateAt = Date.now();
      members[1] = { ...members[1], activateAt };
      stores[1].promoteNext();
      await drivers[1].setPrivateKey(stores[1].currentPath);
      for (const i of [0, 2]) await drivers[i].apply(plan(i, 'full', activateAt), PORT);
      expect((await drivers[1].show()).publicKey).toBe(nextKey);
      const view = (await drivers[2].show()).peers.map((p) => p.publicKey);
      expect(view).toContain(nextKey);
      expect(view).not.toContain(oldKey);
      expect(await reachable(2, 1)).toBe(true);
      expect(await reachable(1, 0)).toBe(true);
      await drivers[1].apply(plan(1, 'full', activateAt), PORT);
      expect((await drivers[1].show()).publicKey).toBe(nextKey);
    });
  },
);
