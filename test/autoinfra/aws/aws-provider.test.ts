import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AwsProvider,
  type AwsProviderConfig,
  EC2_USER_DATA_MAX_BYTES,
} from '../../../autoinfra/providers/aws/index.js';
import { isInfrabaseError } from '../../../engine/index.js';
import { caught, nodeSpecFor, callSignal as signal } from '../support/provider-test-kit.js';
import { type Ec2Backend, type Ec2BackendKind, FakeEc2Kind, MotoEc2Kind } from './ec2-backends.js';

const CONFIG: AwsProviderConfig = {
  region: 'us-east-1',
  imageId: 'ami-0123456789abcdef0',
  instanceType: 't3.small',
  securityGroupIds: [],
  maxAttempts: 1,
};

const spec = nodeSpecFor('aws', '#cloud-config\nruncmd: [infrabase agent]\n');
const LIVE = ['pending', 'running'];

const fakeKind = new FakeEc2Kind();
const kinds: Ec2BackendKind[] = [fakeKind, new MotoEc2Kind()];

describe.each(kinds)('AwsProvider against $name', (kind) => {
  const title = kind.unavailable ? `skipped: ${kind.unavailable}` : 'the same cases';
  describe.skipIf(kind.unavailable !== undefined)(title, () => {
    let ec2: Ec2Backend;
    let providers: AwsProvider[];

    /**
     * A provider as the control plane builds it: its own SDK client from the config, credentials from the
     * SDK's environment chain (dummy values stubbed below for this file only).
     */
    const provider = (
      opts: { clusterId?: string; maxAttempts?: number; config?: Partial<AwsProviderConfig> } = {},
    ) => {
      const aws = new AwsProvider(
        {
          ...CONFIG,
          ...kind.config,
          ...opts.config,
          maxAttempts: opts.maxAttempts ?? 1,
          endpoint: ec2.endpoint,
        },
        opts.clusterId ?? 'c1',
      );
      providers.push(aws);
      return aws;
    };
    const live = async () => (await ec2.instances(LIVE)).map((i) => i.id);

    beforeAll(async () => {
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDTESTTESTTESTTEST');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'dummy-secret-for-tests');
      vi.stubEnv('AWS_SESSION_TOKEN', undefined);
      vi.stubEnv('AWS_PROFILE', undefined);
      vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
      await kind.beforeAll();
    }, 60_000);

    afterAll(async () => {
      await kind.afterAll();
      vi.unstubAllEnvs();
    });

    beforeEach(async () => {
      providers = [];
      ec2 = await kind.fresh();
    });

    afterEach(async () => {
      for (const p of providers) p.close();
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
      const [raw] = await ec2.instances();
      expect(raw.id).toBe(created.id);
      expect(raw.tags).toMatchObject({
        'infrabase-cluster': 'c1',
        'infrabase-node': 'n-1',
        'infrabase-role': 'data',
        Name: 'n-1',
        team: 'ml',
      });
      if (kind.fake) {
        const [call] = fakeKind.server.callsOf('RunInstances');
        expect(call.params).toMatchObject({
          ClientToken: 'tok-n-1-1',
          ImageId: 'ami-0123456789abcdef0',
          MinCount: '1',
          MaxCount: '1',
          SubnetId: 'subnet-0a1b2c3d',
          'SecurityGroupId.1': 'sg-0a1b2c3d',
        });
        expect(Buffer.from(call.params.UserData, 'base64').toString('utf8')).toBe(spec('n-1').userData);
      }

      ec2.elapse(30_000);
      expect(await aws.get(created.id, signal())).toMatchObject({ id: created.id, state: 'running' });
      expect((await aws.listOwned(signal())).map((i) => i.id)).toEqual([created.id]);

      await aws.delete(created.id, signal());
      expect(['stopping', 'terminated']).toContain((await aws.get(created.id, signal())).state);
      ec2.elapse(20_000);
      expect((await aws.get(created.id, signal())).state).toBe('terminated');
      expect(await aws.listOwned(signal())).toEqual([]);
    });

    it('keeps one instance when the reply is dropped after the launch and the create is retried', async () => {
      const aws = provider();
      ec2.dropNextReply('RunInstances');
      const err = await caught(aws.create(spec('n-1'), 'tok-1', signal()));
      expect(isInfrabaseError(err, 'UNAVAILABLE')).toBe(true);
      expect((err as { retryable: boolean }).retryable).toBe(true);
      const [launched] = await live();
      expect(await live()).toHaveLength(1);

      const before = ec2.actions().length;
      const again = await aws.create(spec('n-1'), 'tok-1', signal());
      expect(again.id).toBe(launched);
      // the retry looked the node's instance up by its tags and adopted it instead of launching again
      expect(ec2.actions().slice(before)).toEqual(['DescribeInstances']);
      expect(await live()).toEqual([launched]);
    });

    it('launches anew for another node, and for its own node once the earlier instance is terminating', async () => {
      const aws = provider();
      const first = await aws.create(spec('n-1'), 'n-1-1-0', signal());
      const other = await aws.create(spec('n-2'), 'n-2-1-0', signal());
      expect(other.id).not.toBe(first.id);
      await aws.delete(first.id, signal());
      const second = await aws.create(spec('n-1'), 'n-1-2-0', signal());
      expect(second.id).not.toBe(first.id);
      expect((await live()).sort()).toEqual([other.id, second.id].sort());
    });

    it('lists only instances tagged with its own cluster id', async () => {
      const aws = provider();
      const mine = await aws.create(spec('n-1'), 'tok-1', signal());
      await provider({ clusterId: 'c2' }).create(spec('n-9'), 'tok-9', signal());
      await ec2.seed(1, {});
      await ec2.seed(1, { 'infrabase-node': 'n-1' });
      await ec2.seed(1, { 'infrabase-cluster': 'c1-other' });

      const owned = await aws.listOwned(signal());
      expect(owned.map((i) => i.id)).toEqual([mine.id]);
      expect(await live()).toHaveLength(5);
    });

    it('throws NOT_FOUND for an unknown or already terminated instance', async () => {
      const aws = provider();
      const unknown = await caught(aws.delete('i-0123456789abcdef0', signal()));
      expect(isInfrabaseError(unknown, 'NOT_FOUND')).toBe(true);
      expect(isInfrabaseError(await caught(aws.get('i-0123456789abcdef0', signal())), 'NOT_FOUND')).toBe(
        true,
      );

      const created = await aws.create(spec('n-1'), 'tok-1', signal());
      await aws.delete(created.id, signal());
      ec2.elapse(20_000);
      expect(isInfrabaseError(await caught(aws.delete(created.id, signal())), 'NOT_FOUND')).toBe(true);
    });

    it('refuses a spec without an image before calling EC2', async () => {
      const aws = provider({ config: { imageId: undefined } });
      const err = await caught(aws.create(spec('n-1'), 'tok-1', signal()));
      expect(isInfrabaseError(err, 'INVALID_SPEC')).toBe(true);
      expect((err as Error).message).toContain('providers.aws.imageId');
      expect(ec2.actions()).toEqual([]);
    });

    it("refuses user data over EC2's 16 KB limit as INVALID_SPEC before calling EC2, naming its size", async () => {
      const aws = provider();
      const big = { ...spec('n-1'), userData: `#cloud-config\n#${'x'.repeat(EC2_USER_DATA_MAX_BYTES)}\n` };
      const err = await caught(aws.create(big, 'tok-1', signal()));
      expect(isInfrabaseError(err, 'INVALID_SPEC')).toBe(true);
      expect((err as Error).message).toBe(
        `node n-1 has ${EC2_USER_DATA_MAX_BYTES + 16} bytes of user data; EC2 accepts at most 16384`,
      );
      expect(ec2.actions()).toEqual([]);
    });

    it.skipIf(!kind.subnetIn)(
      'refuses an instance EC2 placed in another zone than the row asked for, and terminates it',
      async () => {
        const aws = provider({ config: { subnetId: await kind.subnetIn!('us-east-1a') } });
        const err = await caught(aws.create(spec('n-1', { zone: 'us-east-1b' }), 'tok-1', signal()));
        expect(isInfrabaseError(err, 'INVALID_SPEC')).toBe(true);
        expect((err as Error).message).toMatch(
          /^node n-1 asks for zone 'us-east-1b' but EC2 placed instance i-[0-9a-f]+ in 'us-east-1a' \(providers\.aws\.subnetId subnet-[0-9a-f]+ decides the zone\); instance i-[0-9a-f]+ terminated\./,
        );
        expect(await live()).toEqual([]);

        const right = provider({ config: { subnetId: await kind.subnetIn!('us-east-1b') } });
        const placed = await right.create(spec('n-1', { zone: 'us-east-1b' }), 'tok-2', signal());
        expect(placed.zone).toBe('us-east-1b');
      },
    );

    describe.skipIf(!kind.honoursClientToken)('where ClientToken is honoured', () => {
      it('returns the same instance when the same token is used twice', async () => {
        const aws = provider();
        const a = await aws.create(spec('n-1'), 'tok-1', signal());
        const b = await aws.create(spec('n-1'), 'tok-1', signal());
        expect(b.id).toBe(a.id);
        expect(await live()).toEqual([a.id]);
      });

      it('rejects a reused token with a changed spec as CONFLICT', async () => {
        const aws = provider();
        await aws.create(spec('n-1'), 'tok-1', signal());
        const err = await caught(aws.create(spec('n-1', { instanceType: 'c5.large' }), 'tok-1', signal()));
        expect(isInfrabaseError(err, 'CONFLICT')).toBe(true);
        expect((err as { retryable: boolean }).retryable).toBe(false);
        expect(await live()).toHaveLength(1);
      });

      it('keeps one instance when the SDK itself retries after a dropped reply', async () => {
        const aws = provider({ maxAttempts: 3 });
        ec2.dropNextReply('RunInstances');
        await aws.create(spec('n-1'), 'tok-1', signal());
        expect(ec2.actions().filter((a) => a === 'RunInstances')).toHaveLength(2);
        expect(await live()).toHaveLength(1);
      });
    });

    describe.skipIf(!kind.fake)('with server-side faults, time and paging', () => {
      // moto answers a filtered DescribeInstances in one page whatever MaxResults says
      it('pages through DescribeInstances when more than a page of instances is owned', async () => {
        const aws = provider();
        await ec2.seed(1005, { 'infrabase-cluster': 'c1' });
        expect(await aws.listOwned(signal())).toHaveLength(1005);
        expect(ec2.actions()).toEqual(['DescribeInstances', 'DescribeInstances']);
      });

      it('surfaces an empty throttling bucket as a retryable THROTTLED', async () => {
        const aws = provider();
        fakeKind.server.faults.configure({ throttle: { burst: 2, perSecond: 1 } });
        await aws.create(spec('n-1'), 'tok-1', signal());
        await aws.listOwned(signal());
        const err = await caught(aws.create(spec('n-2'), 'tok-2', signal()));
        expect(isInfrabaseError(err, 'THROTTLED')).toBe(true);
        expect((err as { retryable: boolean }).retryable).toBe(true);
        expect(fakeKind.server.calls.at(-1)).toMatchObject({
          action: 'RunInstances',
          error: 'RequestLimitExceeded',
        });

        fakeKind.clock.advance(1_000);
        await expect(aws.create(spec('n-2'), 'tok-2', signal())).resolves.toMatchObject({ nodeId: 'n-2' });
      });

      it('reports a capacity error as INSUFFICIENT_CAPACITY naming the instance type and zone', async () => {
        const aws = provider();
        fakeKind.server.faults.setCapacity('c5.large', 'us-east-1b', false);
        const err = await caught(
          aws.create(spec('n-1', { instanceType: 'c5.large', zone: 'us-east-1b' }), 'tok-1', signal()),
        );
        expect(isInfrabaseError(err, 'INSUFFICIENT_CAPACITY')).toBe(true);
        expect((err as { details: unknown }).details).toMatchObject({
          instanceType: 'c5.large',
          zone: 'us-east-1b',
        });
        expect(await live()).toHaveLength(0);

        const other = await aws.create(
          spec('n-1', { instanceType: 'c5.large', zone: 'us-east-1c' }),
          'tok-2',
          signal(),
        );
        expect(other.zone).toBe('us-east-1c');
      });

      it('throws NOT_FOUND once a terminated instance has aged out of EC2', async () => {
        const aws = provider();
        const created = await aws.create(spec('n-1'), 'tok-1', signal());
        await aws.delete(created.id, signal());
        ec2.elapse(20_000 + 3_600_000);
        expect(isInfrabaseError(await caught(aws.get(created.id, signal())), 'NOT_FOUND')).toBe(true);
        expect(isInfrabaseError(await caught(aws.delete(created.id, signal())), 'NOT_FOUND')).toBe(true);
      });
    });
  });
});
