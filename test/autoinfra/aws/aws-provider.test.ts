import { EC2Client } from '@aws-sdk/client-ec2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AwsProvider,
  type AwsProviderConfig,
  EC2_USER_DATA_MAX_BYTES,
} from '../../../autoinfra/providers/aws/index.js';
import { isInfrabaseError } from '../../../engine/index.js';
import { FAKE_AWS_CREDENTIALS, FakeEc2Server } from '../../fakes/index.js';
import { ManualClock } from '../../support/manual-clock.js';
import { caught, nodeSpecFor, callSignal as signal } from '../support/provider-test-kit.js';

const CONFIG: AwsProviderConfig = {
  region: 'us-east-1',
  imageId: 'ami-0123456789abcdef0',
  instanceType: 't3.small',
  subnetId: 'subnet-0a1b2c3d',
  securityGroupIds: ['sg-0a1b2c3d'],
  maxAttempts: 1,
};

const spec = nodeSpecFor('aws', '#cloud-config\nruncmd: [infrabase agent]\n');

describe('AwsProvider against the EC2 test server', () => {
  let clock: ManualClock;
  let ec2: FakeEc2Server;
  let clients: EC2Client[];

  const provider = (
    opts: { clusterId?: string; maxAttempts?: number; config?: Partial<AwsProviderConfig> } = {},
  ) => {
    const client = new EC2Client({
      endpoint: ec2.endpoint,
      region: 'us-east-1',
      credentials: FAKE_AWS_CREDENTIALS,
      maxAttempts: opts.maxAttempts ?? 1,
    });
    clients.push(client);
    return new AwsProvider(
      { ...CONFIG, ...opts.config, endpoint: ec2.endpoint },
      opts.clusterId ?? 'c1',
      client,
    );
  };

  beforeEach(async () => {
    clock = new ManualClock();
    clients = [];
    ec2 = await FakeEc2Server.start({
      clock,
      timing: { bootMs: 30_000, shutdownMs: 20_000, retentionMs: 3_600_000 },
    });
  });

  afterEach(async () => {
    for (const c of clients) c.destroy();
    await ec2.close();
  });

  it('launches a tagged instance with the token, user data and config, then gets, lists and terminates it', async () => {
    const aws = provider();
    const created = await aws.create(spec('n-1'), 'tok-n-1-1', signal());
    expect(created).toMatchObject({
      nodeId: 'n-1',
      clusterId: 'c1',
      state: 'pending',
      instanceType: 't3.small',
    });

    const [call] = ec2.callsOf('RunInstances');
    expect(call.params).toMatchObject({
      ClientToken: 'tok-n-1-1',
      ImageId: 'ami-0123456789abcdef0',
      MinCount: '1',
      MaxCount: '1',
      SubnetId: 'subnet-0a1b2c3d',
      'SecurityGroupId.1': 'sg-0a1b2c3d',
    });
    expect(Buffer.from(call.params.UserData, 'base64').toString('utf8')).toBe(spec('n-1').userData);
    expect(ec2.store.find(created.id).tags).toEqual(
      expect.arrayContaining([
        { key: 'infrabase-cluster', value: 'c1' },
        { key: 'infrabase-node', value: 'n-1' },
        { key: 'team', value: 'ml' },
      ]),
    );

    clock.advance(30_000);
    expect(await aws.get(created.id, signal())).toMatchObject({ id: created.id, state: 'running' });
    expect((await aws.listOwned(signal())).map((i) => i.id)).toEqual([created.id]);

    await aws.delete(created.id, signal());
    expect((await aws.get(created.id, signal())).state).toBe('stopping');
    clock.advance(20_000);
    expect((await aws.get(created.id, signal())).state).toBe('terminated');
    expect(await aws.listOwned(signal())).toEqual([]);
  });

  it('returns the same instance when the same token is used twice', async () => {
    const aws = provider();
    const a = await aws.create(spec('n-1'), 'tok-1', signal());
    const b = await aws.create(spec('n-1'), 'tok-1', signal());
    expect(b.id).toBe(a.id);
    expect(ec2.callsOf('RunInstances')).toHaveLength(2);
    expect(ec2.liveInstances()).toHaveLength(1);
  });

  it('rejects a reused token with a changed spec as CONFLICT', async () => {
    const aws = provider();
    await aws.create(spec('n-1'), 'tok-1', signal());
    const err = await caught(aws.create(spec('n-1', { instanceType: 'c5.large' }), 'tok-1', signal()));
    expect(isInfrabaseError(err, 'CONFLICT')).toBe(true);
    expect((err as { retryable: boolean }).retryable).toBe(false);
    expect(ec2.liveInstances()).toHaveLength(1);
  });

  it('keeps one instance when the reply is dropped after the launch and the create is retried', async () => {
    const aws = provider();
    ec2.faults.failNext('RunInstances', 'drop');
    const err = await caught(aws.create(spec('n-1'), 'tok-1', signal()));
    expect(isInfrabaseError(err, 'UNAVAILABLE')).toBe(true);
    expect((err as { retryable: boolean }).retryable).toBe(true);
    expect(ec2.liveInstances()).toHaveLength(1);

    const again = await aws.create(spec('n-1'), 'tok-1', signal());
    expect(again.id).toBe(ec2.liveInstances()[0].id);
    expect(ec2.liveInstances()).toHaveLength(1);
  });

  it('keeps one instance when the SDK itself retries after a dropped reply', async () => {
    const aws = provider({ maxAttempts: 3 });
    ec2.faults.failNext('RunInstances', 'drop');
    await aws.create(spec('n-1'), 'tok-1', signal());
    expect(ec2.callsOf('RunInstances')).toHaveLength(2);
    expect(ec2.liveInstances()).toHaveLength(1);
  });

  it('surfaces an empty throttling bucket as a retryable THROTTLED', async () => {
    const aws = provider();
    ec2.faults.configure({ throttle: { burst: 2, perSecond: 1 } });
    await aws.create(spec('n-1'), 'tok-1', signal());
    await aws.listOwned(signal());
    const err = await caught(aws.create(spec('n-2'), 'tok-2', signal()));
    expect(isInfrabaseError(err, 'THROTTLED')).toBe(true);
    expect((err as { retryable: boolean }).retryable).toBe(true);
    expect(ec2.calls.at(-1)).toMatchObject({ action: 'RunInstances', error: 'RequestLimitExceeded' });

    clock.advance(1_000);
    await expect(aws.create(spec('n-2'), 'tok-2', signal())).resolves.toMatchObject({ nodeId: 'n-2' });
  });

  it('reports a capacity error as INSUFFICIENT_CAPACITY naming the instance type and zone', async () => {
    const aws = provider();
    ec2.faults.setCapacity('c5.large', 'us-east-1b', false);
    const err = await caught(
      aws.create(spec('n-1', { instanceType: 'c5.large', zone: 'us-east-1b' }), 'tok-1', signal()),
    );
    expect(isInfrabaseError(err, 'INSUFFICIENT_CAPACITY')).toBe(true);
    expect((err as { details: unknown }).details).toMatchObject({
      instanceType: 'c5.large',
      zone: 'us-east-1b',
    });
    expect(ec2.liveInstances()).toHaveLength(0);

    const other = await aws.create(
      spec('n-1', { instanceType: 'c5.large', zone: 'us-east-1c' }),
      'tok-2',
      signal(),
    );
    expect(other.zone).toBe('us-east-1c');
  });

  it('lists only instances tagged with its own cluster id', async () => {
    const aws = provider();
    const mine = await aws.create(spec('n-1'), 'tok-1', signal());
    await provider({ clusterId: 'c2' }).create(spec('n-9'), 'tok-9', signal());
    ec2.seedInstance('t3.micro', []);
    ec2.seedInstance('t3.micro', [{ key: 'infrabase-node', value: 'n-1' }]);
    ec2.seedInstance('t3.micro', [{ key: 'infrabase-cluster', value: 'c1-other' }]);

    const owned = await aws.listOwned(signal());
    expect(owned.map((i) => i.id)).toEqual([mine.id]);
    expect(ec2.liveInstances()).toHaveLength(5);
  });

  it('throws NOT_FOUND for an unknown, already terminated or aged-out instance', async () => {
    const aws = provider();
    const unknown = await caught(aws.delete('i-0123456789abcdef0', signal()));
    expect(isInfrabaseError(unknown, 'NOT_FOUND')).toBe(true);

    const created = await aws.create(spec('n-1'), 'tok-1', signal());
    await aws.delete(created.id, signal());
    clock.advance(20_000);
    expect(isInfrabaseError(await caught(aws.delete(created.id, signal())), 'NOT_FOUND')).toBe(true);

    clock.advance(3_600_000);
    expect(isInfrabaseError(await caught(aws.get(created.id, signal())), 'NOT_FOUND')).toBe(true);
    expect(isInfrabaseError(await caught(aws.delete(created.id, signal())), 'NOT_FOUND')).toBe(true);
  });

  it('refuses a spec without an image before calling EC2', async () => {
    const aws = provider({ config: { imageId: undefined } });
    const err = await caught(aws.create(spec('n-1'), 'tok-1', signal()));
    expect(isInfrabaseError(err, 'INVALID_SPEC')).toBe(true);
    expect((err as Error).message).toContain('providers.aws.imageId');
    expect(ec2.calls).toHaveLength(0);
  });

  it("refuses user data over EC2's 16 KB limit as INVALID_SPEC before calling EC2, naming its size", async () => {
    const aws = provider();
    const big = { ...spec('n-1'), userData: `#cloud-config\n#${'x'.repeat(EC2_USER_DATA_MAX_BYTES)}\n` };
    const err = await caught(aws.create(big, 'tok-1', signal()));
    expect(isInfrabaseError(err, 'INVALID_SPEC')).toBe(true);
    expect((err as Error).message).toBe(
      `node n-1 has ${EC2_USER_DATA_MAX_BYTES + 16} bytes of user data; EC2 accepts at most 16384`,
    );
    expect(ec2.calls).toHaveLength(0);
  });

  it('pages through DescribeInstances when more than a page of instances is owned', async () => {
    const aws = provider();
    for (let i = 0; i < 1005; i++) ec2.seedInstance('t3.micro', [{ key: 'infrabase-cluster', value: 'c1' }]);
    expect(await aws.listOwned(signal())).toHaveLength(1005);
    expect(ec2.callsOf('DescribeInstances')).toHaveLength(2);
  });
});
