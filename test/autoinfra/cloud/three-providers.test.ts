import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAgentAlive, type NodeRow, readAgentLock } from '../../../autoinfra/index.js';
import type { ControlPlane } from '../../../control-plane/index.js';
import { createNodesModule } from '../../../control-plane/nodes/index.js';
import { startTestControlPlane } from '../../support/control-plane.js';
import { stopLocalAgents } from '../../support/local-agents.js';
import { tempDir, waitFor } from '../../support/tmp.js';
import { CloudInit } from './support/cloud-init.js';
import {
  AWS_REGION,
  type CloudUnderTest,
  GCP_PROJECT,
  INSTANCE_TYPE,
  startCloud,
  ZONES,
} from './support/clouds.js';

/**
 * Acceptance of issue 4, first point: one control plane (in process, nodes module) with the local provider and
 * the real-SDK aws and gcp providers pointed at the EC2 and Compute test servers. The test plays cloud-init for
 * the cloud instances: it reads each instance's UserData / startup-script from the server and starts the node
 * agent it describes on loopback.
 */
const PROVIDERS = ['local', 'aws', 'gcp'] as const;
type Provider = (typeof PROVIDERS)[number];

let aws: CloudUnderTest | undefined;
let gcp: CloudUnderTest | undefined;
let env: Awaited<ReturnType<typeof startTestControlPlane>> | undefined;
const inits: CloudInit[] = [];
let machinesDir: ReturnType<typeof tempDir> | undefined;

const cp = (): ControlPlane => env!.cp;
const rowsOf = (provider: Provider): NodeRow[] =>
  cp()
    .context.db.prepare('SELECT * FROM sys_nodes WHERE provider = ? ORDER BY id')
    .all(provider) as NodeRow[];
const row = (id: string) =>
  cp().context.db.prepare('SELECT * FROM sys_nodes WHERE id = ?').get(id) as NodeRow | undefined;
const cloudOf = (p: 'aws' | 'gcp') => (p === 'aws' ? aws! : gcp!);
const initOf = (p: 'aws' | 'gcp') => inits[p === 'aws' ? 0 : 1];
const localPid = (id: string) => readAgentLock(join(env!.dataDir, 'nodes', id))?.pid;

beforeAll(async () => {
  machinesDir = tempDir('infrabase-machines-');
  [aws, gcp] = await Promise.all([startCloud('aws'), startCloud('gcp')]);
  const clouds = { aws, gcp };
  env = await startTestControlPlane(
    {
      mesh: { mode: 'off' },
      reconciler: { heartbeatIntervalMs: 200, heartbeatTimeoutMs: 5_000, resyncIntervalMs: 500 },
      providers: {
        aws: { enabled: true, region: AWS_REGION, endpoint: `http://127.0.0.1:${aws.port}` },
        gcp: { enabled: true, project: GCP_PROJECT, apiEndpoint: `127.0.0.1:${gcp.port}` },
      },
    },
    {
      // The same providers `infrabase up` builds from this configuration, with clients that carry static test
      // credentials (ADC would go to Google for a token; the test servers accept any signature).
      modules: [
        createNodesModule({
          providers: (_ctx, clusterId) => [clouds.aws.provider(clusterId), clouds.gcp.provider(clusterId)],
        }),
      ],
    },
  );
  inits.push(
    new CloudInit(aws, join(machinesDir.dir, 'aws')).start(),
    new CloudInit(gcp, join(machinesDir.dir, 'gcp')).start(),
  );
}, 60_000);

afterAll(async () => {
  // Every agent and server goes, also after a failure. First through the product: every row deleted, so the
  // reconciler drains and terminates its machines and no agent heartbeats while the control plane closes
  // (an in-flight heartbeat holds its keep-alive connection open past the server's close). Then whatever
  // is left: cloud agents, the control plane, the local agent processes, the servers and directories.
  if (env) {
    env.cp.context.db.prepare('DELETE FROM sys_nodes').run();
    await waitFor(
      () => env!.cp.context.db.prepare('SELECT count(*) FROM sys_nodes').pluck().get() === 0,
      20_000,
      50,
    ).catch(() => undefined);
  }
  for (const init of inits) await init.stop();
  if (env) {
    await env.cp.stop();
    await stopLocalAgents(env.dataDir);
    await env.close();
  }
  await aws?.close();
  await gcp?.close();
  machinesDir?.cleanup();
}, 60_000);

describe('a control plane with the local, aws and gcp providers', () => {
  it('brings 3 inserted rows per provider to ready, each on exactly one machine', async () => {
    const db = cp().context.db;
    const insert = db.prepare(
      'INSERT INTO sys_nodes (id, provider, instance_type, zone) VALUES (?, ?, ?, ?)',
    );
    for (const p of PROVIDERS) {
      for (let i = 0; i < 3; i++) {
        if (p === 'local') insert.run(`${p}-${i}`, p, null, null);
        else insert.run(`${p}-${i}`, p, INSTANCE_TYPE[p], ZONES[p][i % 2]);
      }
    }
    await waitFor(
      () => PROVIDERS.every((p) => rowsOf(p).length === 3 && rowsOf(p).every((r) => r.status === 'ready')),
      40_000,
      50,
    ).catch((err) => {
      const seen = PROVIDERS.flatMap((p) =>
        rowsOf(p).map((r) => `${r.id}=${r.status}(${r.status_reason ?? ''})`),
      );
      throw new Error(
        `${(err as Error).message}; rows: ${seen.join(', ')}; boot errors: ${inits.flatMap((i) => i.errors).join('; ')}`,
      );
    });

    for (const p of ['aws', 'gcp'] as const) {
      const live = cloudOf(p)
        .live()
        .filter((i) => i.clusterId === cp().context.clusterId);
      expect(live.map((i) => i.nodeId).sort()).toEqual([`${p}-0`, `${p}-1`, `${p}-2`]);
      for (const r of rowsOf(p)) {
        const machine = initOf(p).machineOf(r.id);
        expect(machine?.instanceId).toBe(r.instance_id);
        // The boot configuration points the agent at this control plane; the row records the agent's endpoint.
        expect(machine?.boot.controlPlaneUrl).toBe(cp().url.replace(/\/$/, ''));
        expect(r.endpoint).toBe(machine?.agent.endpoint);
      }
      expect(initOf(p).errors).toEqual([]);
    }
    for (const r of rowsOf('local')) {
      const pid = localPid(r.id);
      expect(pid).toBeDefined();
      expect(isAgentAlive(pid!, r.id)).toBe(true);
    }
  }, 50_000);

  it('terminates the machine of a deleted row and removes the row, leaving the other two untouched', async () => {
    const db = cp().context.db;
    const before = new Map(PROVIDERS.flatMap((p) => rowsOf(p).map((r) => [r.id, r] as const)));
    const localPids = new Map(rowsOf('local').map((r) => [r.id, localPid(r.id)!]));
    const drained = ['aws', 'gcp'].map((p) => initOf(p as 'aws' | 'gcp').machineOf(`${p}-1`)!);
    expect(drained.every((m) => m !== undefined)).toBe(true);

    for (const p of PROVIDERS) db.prepare('DELETE FROM sys_nodes WHERE id = ?').run(`${p}-1`);
    await waitFor(() => PROVIDERS.every((p) => row(`${p}-1`) === undefined), 20_000, 50);

    // local: the agent process is gone.
    expect(isAgentAlive(localPids.get('local-1')!, 'local-1')).toBe(false);
    // aws, gcp: the instance is no longer live in the server, and its agent was drained before termination.
    for (const p of ['aws', 'gcp'] as const) {
      const gone = before.get(`${p}-1`)!.instance_id!;
      expect(
        cloudOf(p)
          .live()
          .map((i) => i.id),
      ).not.toContain(gone);
      await waitFor(() => initOf(p).terminated.has(gone), 5_000, 20);
    }
    for (const m of drained) expect(m.agent.isDraining()).toBe(true);

    // The other two rows per provider: same instance, still ready, machine still up.
    for (const p of PROVIDERS) {
      const rest = rowsOf(p);
      expect(rest.map((r) => r.id)).toEqual([`${p}-0`, `${p}-2`]);
      for (const r of rest) {
        expect(r.status).toBe('ready');
        expect(r.instance_id).toBe(before.get(r.id)!.instance_id);
        expect(r.attempts).toBe(before.get(r.id)!.attempts);
        if (p === 'local') expect(isAgentAlive(localPids.get(r.id)!, r.id)).toBe(true);
        else {
          expect(
            cloudOf(p)
              .live()
              .map((i) => i.id),
          ).toContain(r.instance_id);
          expect(initOf(p).machineOf(r.id)?.agent.isDraining()).toBe(false);
        }
      }
    }
  }, 40_000);
});
