import { type CloudProvider, OWNERSHIP_TAGS } from '../../../../autoinfra/index.js';
import { instanceIdOf } from '../../../../autoinfra/providers/gcp/index.js';
import {
  type FakeComputeServer as ComputeServer,
  FakeComputeServer,
  FakeEc2Server,
  type FaultOptions,
  type Faults,
} from '../../../fakes/index.js';
import { connectAws } from './connect-aws.js';
import { connectGcp } from './connect-gcp.js';

export { AWS_REGION, GCP_PROJECT, INSTANCE_TYPE, ZONES } from './cloud-constants.js';

import { type CloudKind, GCP_PROJECT, INSTANCE_TYPE, ZONES } from './cloud-constants.js';

export type { CloudKind } from './cloud-constants.js';

/** An instance as the test server holds it, in the provider's id scheme. */
export interface ServerInstance {
  readonly id: string;
  readonly clusterId?: string;
  readonly nodeId?: string;
  /** The boot configuration (EC2 UserData decoded, GCE `startup-script` metadata). */
  readonly bootConfig?: string;
}

/**
 * One cloud's test server with the real SDK provider pointed at it: the same surface for EC2 and Compute,
 * so each acceptance spec runs against both.
 */
export interface CloudUnderTest {
  readonly kind: CloudKind;
  readonly faults: Faults;
  /** Port of the test server on 127.0.0.1. */
  readonly port: number;
  /** The real-SDK provider for cluster `clusterId` (one client per call; closed by {@link close}). */
  provider(clusterId: string): CloudProvider;
  /** Instances not terminated or being deleted. */
  live(): ServerInstance[];
  /** Every request the server received. */
  callCount(): number;
  /** Requests whose reply was dropped after they took effect. */
  droppedCalls(): number;
  /** Create requests (RunInstances / instances.insert) received. */
  createCalls(): { instanceType: string; zone: string }[];
  /** Adds an instance launched outside infrabase, with the ownership tags given (none: untagged). */
  seed(name: string, tags: { cluster?: string; node?: string }): ServerInstance;
  close(): Promise<void>;
}

/**
 * Starts the test server of `kind` on 127.0.0.1 (real clock; boot and operation times of a few ms).
 * @param faults fault injection to start with (latency, throttling bucket, drop rate).
 */
/** The machines these clouds run are local agent processes, so each instance's private address is loopback. */
const LOOPBACK = '127.0.0.1';

export async function startCloud(kind: CloudKind, faults: FaultOptions = {}): Promise<CloudUnderTest> {
  return kind === 'aws' ? startEc2(faults) : startCompute(faults);
}

async function startEc2(faults: FaultOptions): Promise<CloudUnderTest> {
  const ec2 = await FakeEc2Server.start({
    faults,
    timing: { bootMs: 20, shutdownMs: 20, retentionMs: 3_600_000 },
    privateIp: () => LOOPBACK,
  });
  const closers: (() => Promise<void>)[] = [];
  const tag = (tags: { key: string; value: string }[], key: string) => tags.find((t) => t.key === key)?.value;
  return {
    kind: 'aws',
    port: ec2.port,
    faults: ec2.faults,
    provider(clusterId) {
      const p = connectAws(ec2.port, clusterId);
      closers.push(async () => p.close());
      return p;
    },
    live: () =>
      ec2.liveInstances().map((i) => ({
        id: i.id,
        clusterId: tag(i.tags, OWNERSHIP_TAGS.cluster),
        nodeId: tag(i.tags, OWNERSHIP_TAGS.node),
        bootConfig: i.userData ? Buffer.from(i.userData, 'base64').toString('utf8') : undefined,
      })),
    callCount: () => ec2.calls.length,
    droppedCalls: () => ec2.calls.filter((c) => c.fault === 'drop').length,
    createCalls: () =>
      ec2.callsOf('RunInstances').map((c) => ({
        instanceType: c.params.InstanceType ?? '',
        zone: c.params['Placement.AvailabilityZone'] ?? '',
      })),
    seed(_name, tags) {
      const list = [
        ...(tags.cluster ? [{ key: OWNERSHIP_TAGS.cluster, value: tags.cluster }] : []),
        ...(tags.node ? [{ key: OWNERSHIP_TAGS.node, value: tags.node }] : []),
      ];
      const i = ec2.seedInstance(INSTANCE_TYPE.aws, list);
      return { id: i.id, clusterId: tags.cluster, nodeId: tags.node };
    },
    async close() {
      for (const c of closers) await c();
      await ec2.close();
    },
  };
}

async function startCompute(faults: FaultOptions): Promise<CloudUnderTest> {
  const gce: ComputeServer = await FakeComputeServer.start({
    faults,
    timing: { insertMs: 5, bootMs: 5, deleteMs: 5 },
    privateIp: () => LOOPBACK,
  });
  const closers: (() => Promise<void>)[] = [];
  return {
    kind: 'gcp',
    port: gce.port,
    faults: gce.faults,
    provider(clusterId) {
      const p = connectGcp(gce.port, clusterId);
      closers.push(() => p.close());
      return p;
    },
    live: () =>
      gce.liveInstances(GCP_PROJECT).map((i) => ({
        id: instanceIdOf(i.zone, i.name),
        clusterId: i.labels[OWNERSHIP_TAGS.cluster],
        nodeId: i.labels[OWNERSHIP_TAGS.node],
        bootConfig: i.metadata.find((m) => m.key === 'startup-script')?.value,
      })),
    callCount: () => gce.calls.length,
    droppedCalls: () => gce.calls.filter((c) => c.fault === 'drop').length,
    createCalls: () =>
      gce.callsOf('instances.insert').map((c) => {
        const body = (c.body ?? {}) as { machineType?: string };
        return {
          instanceType: body.machineType?.split('/').pop() ?? '',
          zone: c.path.split('/zones/')[1]?.split('/')[0] ?? '',
        };
      }),
    seed(name, tags) {
      const labels: Record<string, string> = {};
      if (tags.cluster) labels[OWNERSHIP_TAGS.cluster] = tags.cluster;
      if (tags.node) labels[OWNERSHIP_TAGS.node] = tags.node;
      const i = gce.seedInstance(GCP_PROJECT, ZONES.gcp[0], name, labels);
      return { id: instanceIdOf(i.zone, i.name), clusterId: tags.cluster, nodeId: tags.node };
    },
    async close() {
      for (const c of closers) await c();
      await gce.close();
    },
  };
}
