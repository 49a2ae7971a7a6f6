import {
  DescribeInstancesCommand,
  DescribeSubnetsCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { FAKE_AWS_CREDENTIALS, FakeEc2Server } from '../../fakes/index.js';
import { ManualClock } from '../../support/manual-clock.js';
import { MotoServer, motoUnavailable } from '../../support/moto-server.js';
import { RecordingProxy } from '../../support/recording-proxy.js';

/** An instance as the tests read it back straight from the EC2 API (not through the provider). */
export interface RawInstance {
  id: string;
  state: string;
  zone?: string;
  tags: Record<string, string>;
}

/** One EC2 endpoint the AwsProvider tests run against, fresh for one test. */
export interface Ec2Backend {
  /** What the provider's SDK client talks to. */
  readonly endpoint: string;
  /** The `Action` of every request the endpoint received, in order. */
  actions(): string[];
  /** Cuts the connection of the next call of `action` after it has taken effect (a lost reply). */
  dropNextReply(action: string): void;
  /** Lets the instances' lifecycle move on by `ms` (pending → running, shutting-down → terminated). */
  elapse(ms: number): void;
  /** Instances in a given state set, read with DescribeInstances. */
  instances(states?: string[]): Promise<RawInstance[]>;
  /** Launches `count` instances with `tags` outside the provider (foreign or orphaned instances). */
  seed(count: number, tags: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

/** What a kind of endpoint can do beyond the EC2 API itself. */
export interface Ec2BackendKind {
  readonly name: string;
  /** Why this endpoint cannot run here (the tests are skipped with it), if so. */
  readonly unavailable?: string;
  /** Whether RunInstances honours `ClientToken` (same token ⇒ same instance, `IdempotentParameterMismatch`). */
  readonly honoursClientToken: boolean;
  /** The server-side faults and injectable clock of our own test server, when this is it. */
  readonly fake: boolean;
  /** Settings the provider needs here (e.g. a subnet that exists on this endpoint). */
  readonly config: { subnetId?: string; securityGroupIds: string[] };
  /** A subnet that lies in `zone` on this endpoint, when the endpoint places instances by subnet. */
  subnetIn?(zone: string): Promise<string>;
  beforeAll(): Promise<void>;
  /** A fresh endpoint with no instances. */
  fresh(): Promise<Ec2Backend>;
  afterAll(): Promise<void>;
}

const rawClient = (endpoint: string) =>
  new EC2Client({ endpoint, region: 'us-east-1', credentials: FAKE_AWS_CREDENTIALS, maxAttempts: 1 });

async function describeRaw(client: EC2Client, states?: string[]): Promise<RawInstance[]> {
  const out = await client.send(
    new DescribeInstancesCommand({
      Filters: states ? [{ Name: 'instance-state-name', Values: states }] : undefined,
    }),
  );
  return (out.Reservations ?? [])
    .flatMap((r) => r.Instances ?? [])
    .map((i) => ({
      id: i.InstanceId ?? '',
      state: i.State?.Name ?? '',
      zone: i.Placement?.AvailabilityZone,
      tags: Object.fromEntries((i.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
    }));
}

/** Our EC2 Query API test server (test/fakes/ec2), with a manual clock: boot 30 s, shutdown 20 s, retention 1 h. */
export class FakeEc2Kind implements Ec2BackendKind {
  readonly name = 'the EC2 test server';
  readonly honoursClientToken = true;
  readonly fake = true;
  readonly config = { subnetId: 'subnet-0a1b2c3d', securityGroupIds: ['sg-0a1b2c3d'] };
  /** The server of the current test (for fake-only assertions: call parameters, faults, the clock). */
  server!: FakeEc2Server;
  clock!: ManualClock;

  async beforeAll(): Promise<void> {}
  async afterAll(): Promise<void> {}

  async fresh(): Promise<Ec2Backend> {
    const clock = new ManualClock();
    const server = await FakeEc2Server.start({
      clock,
      timing: { bootMs: 30_000, shutdownMs: 20_000, retentionMs: 3_600_000 },
    });
    this.server = server;
    this.clock = clock;
    const client = rawClient(server.endpoint);
    return {
      endpoint: server.endpoint,
      actions: () => server.calls.map((c) => c.action),
      dropNextReply: (action) => server.faults.failNext(action, 'drop'),
      elapse: (ms) => clock.advance(ms),
      instances: (states) => describeRaw(client, states),
      seed: async (count, tags) => {
        const list = Object.entries(tags).map(([key, value]) => ({ key, value }));
        for (let i = 0; i < count; i++) server.seedInstance('t3.micro', list);
      },
      close: async () => {
        client.destroy();
        await server.close();
      },
    };
  }
}

/**
 * moto's EC2 (moto_server, one process for the file, reset before each test) behind a {@link RecordingProxy}
 * that records actions and drops replies. Its default VPC has one default subnet per zone of us-east-1.
 */
export class MotoEc2Kind implements Ec2BackendKind {
  readonly name = 'moto_server';
  readonly unavailable = motoUnavailable();
  readonly honoursClientToken = false;
  readonly fake = false;
  readonly config = { securityGroupIds: [] };
  private moto?: MotoServer;

  async beforeAll(): Promise<void> {
    this.moto = await MotoServer.start();
  }

  async afterAll(): Promise<void> {
    await this.moto?.close();
  }

  async subnetIn(zone: string): Promise<string> {
    const client = rawClient(this.moto!.endpoint);
    try {
      const out = await client.send(
        new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone', Values: [zone] }] }),
      );
      const id = out.Subnets?.[0]?.SubnetId;
      if (!id) throw new Error(`moto has no subnet in ${zone}`);
      return id;
    } finally {
      client.destroy();
    }
  }

  async fresh(): Promise<Ec2Backend> {
    const moto = this.moto!;
    await moto.reset();
    const proxy = await RecordingProxy.start(moto.endpoint);
    const client = rawClient(moto.endpoint);
    return {
      endpoint: proxy.endpoint,
      actions: () => [...proxy.actions],
      dropNextReply: (action) => proxy.dropNextReply(action),
      elapse: () => {},
      instances: (states) => describeRaw(client, states),
      seed: async (count, tags) => {
        await client.send(
          new RunInstancesCommand({
            ImageId: 'ami-0abcdef1234567890',
            InstanceType: 't3.micro',
            MinCount: count,
            MaxCount: count,
            TagSpecifications: Object.keys(tags).length
              ? [
                  {
                    ResourceType: 'instance',
                    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
                  },
                ]
              : undefined,
          }),
        );
      },
      close: async () => {
        client.destroy();
        await proxy.close();
      },
    };
  }
}
