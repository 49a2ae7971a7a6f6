import { EC2Client } from '@aws-sdk/client-ec2';
import { InstancesClient, ZoneOperationsClient } from '@google-cloud/compute';
import {
  AwsProvider,
  type CloudProvider,
  GcpProvider,
  instanceIdOf,
  OWNERSHIP_TAGS,
} from '../../../../autoinfra/index.js';
import {
  type FakeComputeServer as ComputeServer,
  FAKE_AWS_CREDENTIALS,
  FakeComputeServer,
  FakeEc2Server,
  type FaultOptions,
  type Faults,
  fakeGoogleAuthClient,
} from '../../../fakes/index.js';

/** The cloud providers with a test server. */
export type CloudKind = 'aws' | 'gcp';

export const GCP_PROJECT = 'infrabase-test';
export const AWS_REGION = 'us-east-1';
/** Zones the specs use; the test servers accept any. */
export const ZONES: Record<CloudKind, readonly [string, string]> = {
  aws: ['us-east-1a', 'us-east-1b'],
  gcp: ['us-central1-a', 'us-central1-b'],
};
export const INSTANCE_TYPE: Record<CloudKind, string> = { aws: 't3.small', gcp: 'e2-small' };

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
  /** The real-SDK provider for cluster `clusterId` (one client per call; closed by {@link close}). */
  provider(clusterId: string): CloudProvider;
  /** Instances not terminated or being deleted. */
  live(): ServerInstance[];
  /** Every request the server received. */
  callCount(): number;
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
export async function startCloud(kind: CloudKind, faults: FaultOptions = {}): Promise<CloudUnderTest> {
  return kind === 'aws' ? startEc2(faults) : startCompute(faults);
}

async function startEc2(faults: FaultOptions): Promise<CloudUnderTest> {
  const ec2 = await FakeEc2Server.start({
    faults,
    timing: { bootMs: 20, shutdownMs: 20, retentionMs: 3_600_000 },
  });
  const clients: EC2Client[] = [];
  const tag = (tags: { key: string; value: string }[], key: string) => tags.find((t) => t.key === key)?.value;
  return {
    kind: 'aws',
    faults: ec2.faults,
    provider(clusterId) {
      const client = new EC2Client({
        endpoint: ec2.endpoint,
        region: AWS_REGION,
        credentials: FAKE_AWS_CREDENTIALS,
        maxAttempts: 1,
      });
      clients.push(client);
      return new AwsProvider(
        {
          region: AWS_REGION,
          endpoint: ec2.endpoint,
          imageId: 'ami-0123456789abcdef0',
          instanceType: INSTANCE_TYPE.aws,
          securityGroupIds: [],
          maxAttempts: 1,
        },
        clusterId,
        client,
      );
    },
    live: () =>
      ec2.liveInstances().map((i) => ({
        id: i.id,
        clusterId: tag(i.tags, OWNERSHIP_TAGS.cluster),
        nodeId: tag(i.tags, OWNERSHIP_TAGS.node),
        bootConfig: i.userData ? Buffer.from(i.userData, 'base64').toString('utf8') : undefined,
      })),
    callCount: () => ec2.calls.length,
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
      for (const c of clients) c.destroy();
      await ec2.close();
    },
  };
}

async function startCompute(faults: FaultOptions): Promise<CloudUnderTest> {
  const gce: ComputeServer = await FakeComputeServer.start({
    faults,
    timing: { insertMs: 5, bootMs: 5, deleteMs: 5 },
  });
  const providers: GcpProvider[] = [];
  return {
    kind: 'gcp',
    faults: gce.faults,
    provider(clusterId) {
      const opts = {
        apiEndpoint: '127.0.0.1',
        port: gce.port,
        protocol: 'http',
        authClient: fakeGoogleAuthClient() as never,
      };
      const p = new GcpProvider(
        {
          project: GCP_PROJECT,
          zone: ZONES.gcp[0],
          machineType: INSTANCE_TYPE.gcp,
          image: 'projects/debian-cloud/global/images/family/debian-12',
          network: 'global/networks/default',
        },
        clusterId,
        {
          clients: { instances: new InstancesClient(opts), zoneOperations: new ZoneOperationsClient(opts) },
          pollIntervalMs: 20,
        },
      );
      providers.push(p);
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
      for (const p of providers) await (p as { close?: () => Promise<void> }).close?.();
      await gce.close();
    },
  };
}
