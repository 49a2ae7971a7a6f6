import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeInterfaceName } from '../../agent/mesh.js';
import { hubInterfaceName } from '../../network/index.js';
import { waitFor } from '../support/tmp.js';
import {
  HUB_MESH_IP,
  MESH_CIDR,
  type MeshCluster,
  meshClusterSkipReason,
  startMeshCluster,
} from './mesh-cluster.js';

const skip = meshClusterSkipReason();

/**
 * The hub topology in network namespaces: `infrabase up` in namespace 0 and two agents, each node peering
 * only with the control plane, which forwards between them (IPv4 forwarding in its own namespace).
 */
describe.skipIf(skip !== null)(
  `control plane and agents in network namespaces, hub topology${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let c: MeshCluster;
    let ids: readonly string[] = [];
    const meshIp = (i: number) => String(c.row(ids[i]).mesh_ip);

    beforeAll(async () => {
      c = await startMeshCluster({ topology: 'hub', nodes: 2, heartbeatMs: 1000 });
      ids = c.ids;
      await c.launch(ids.slice(1));
    }, 90_000);

    afterAll(async () => {
      await c?.stop();
    }, 60_000);

    it('each node peers only with the control plane, which routes the whole mesh CIDR', async () => {
      const hubKey = (
        await c.lab.exec(0, 'wg', [
          'show',
          hubInterfaceName(readFileSync(join(c.dataDir, 'cluster-id'), 'utf8').trim()),
          'public-key',
        ])
      ).stdout.trim();
      for (const i of [1, 2]) {
        const dump = (await c.lab.exec(i, 'wg', ['show', nodeInterfaceName(ids[i]), 'allowed-ips'])).stdout;
        expect(dump.trim()).toBe(`${hubKey}\t${MESH_CIDR}`);
      }
    });

    it('the control plane peers with every node for its own address and forwards between them', async () => {
      const hubIf = hubInterfaceName(readFileSync(join(c.dataDir, 'cluster-id'), 'utf8').trim());
      const allowed = (await c.lab.exec(0, 'wg', ['show', hubIf, 'allowed-ips'])).stdout;
      for (const i of [1, 2]) {
        expect(allowed).toContain(`${c.row(ids[i]).wg_public_key}\t${meshIp(i)}/32`);
      }
      expect((await c.lab.exec(0, 'sysctl', ['-n', 'net.ipv4.ip_forward'])).stdout.trim()).toBe('1');
    });

    it('every agent reaches the control plane over the mesh', async () => {
      for (const i of [1, 2]) expect(await waitFor(() => c.lab.ping(i, HUB_MESH_IP), 10_000, 50)).toBe(true);
      for (const id of ids.slice(1)) {
        const reply = await c.curl(`/v1/nodes/${id}/health`);
        expect(String(reply.endpoint).startsWith(`${c.row(id).mesh_ip}:`)).toBe(true);
        expect((reply.health as { nodeId: string }).nodeId).toBe(id);
      }
    }, 30_000);

    it('agents reach each other through the hub', async () => {
      expect(await waitFor(() => c.lab.ping(1, meshIp(2)), 10_000, 50)).toBe(true);
      expect(await waitFor(() => c.lab.ping(2, meshIp(1)), 10_000, 50)).toBe(true);
      const route = (await c.lab.exec(0, 'ip', ['route', 'get', meshIp(2)])).stdout;
      expect(route).toContain(
        `dev ${hubInterfaceName(readFileSync(join(c.dataDir, 'cluster-id'), 'utf8').trim())}`,
      );
    }, 30_000);
  },
);
