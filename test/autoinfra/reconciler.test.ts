import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../autoinfra/index.js';
import { systemClock } from '../../engine/index.js';
import { FakeProvider } from '../fakes/fake-provider.js';
import { converge, dropReplies, fakeCloud } from './support/converge.js';

describe('Reconciler', () => {
  it('launches exactly one instance per row when 30% of create replies are lost after the launch', async () => {
    const cloud = new FakeProvider({ name: 'aws', clusterId: 'c1' });
    const r = await converge(fakeCloud(cloud, dropReplies(cloud, 0.3, 1)), { rows: 50 });
    expect(r.createCalls).toBeGreaterThan(50);
    expect(r.instances).toBe(50);
    expect(r.rowsWithExactlyOneInstance).toBe(50);
    cloud.close();
  });

  it('converges without duplicates under server-side throttling, backing off on THROTTLED', async () => {
    const cloud = new FakeProvider({
      name: 'aws',
      clusterId: 'c1',
      throttle: new TokenBucket({ burst: 20, perSecond: 100 }, systemClock),
    });
    const r = await converge(fakeCloud(cloud), { rows: 100 });
    expect(r.instances).toBe(100);
    expect(r.rowsWithExactlyOneInstance).toBe(100);
    cloud.close();
  });

  it('keeps its own calls under the configured per-provider rate', async () => {
    const cloud = new FakeProvider({ name: 'aws', clusterId: 'c1' });
    const r = await converge(fakeCloud(cloud), {
      rows: 10,
      settings: { rateLimit: { burst: 5, perSecond: 50 } },
    });
    // 5 at once, then 50/s: n calls need at least (n - 5) / 50 s.
    expect(r.ms).toBeGreaterThanOrEqual(((r.apiCalls - 5) / 50) * 1000 - 50);
    expect(r.instances).toBe(10);
    cloud.close();
  });
});
