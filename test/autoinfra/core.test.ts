import { describe, expect, it } from 'vitest';
import {
  CapacityCooloff,
  choosePlacement,
  fullJitterBackoff,
  idempotencyToken,
  parseIdempotencyToken,
  placementCandidates,
  planOrphans,
  TokenBucket,
  WorkQueue,
} from '../../autoinfra/index.js';
import { seededRandom } from '../../engine/index.js';
import { ManualClock } from '../support/manual-clock.js';

describe('fullJitterBackoff', () => {
  it('draws uniformly below base * 2^failures', () => {
    expect(fullJitterBackoff(0, () => 0.999, { baseMs: 100 })).toBe(99);
    expect(fullJitterBackoff(3, () => 0.5, { baseMs: 100 })).toBe(400);
    expect(fullJitterBackoff(3, () => 0, { baseMs: 100 })).toBe(0);
  });

  it('never exceeds the cap, however many failures', () => {
    const r = seededRandom(1);
    for (let i = 0; i < 100; i++)
      expect(fullJitterBackoff(i, r, { baseMs: 100, capMs: 5000 })).toBeLessThan(5000);
    expect(fullJitterBackoff(1000, () => 0.999, { baseMs: 100, capMs: 5000 })).toBe(4995);
  });
});

describe('TokenBucket', () => {
  it('allows a burst of its size and then refills at its rate', () => {
    const clock = new ManualClock();
    const b = new TokenBucket({ burst: 20, perSecond: 2 }, clock);
    for (let i = 0; i < 20; i++) expect(b.tryTake()).toBe(true);
    expect(b.tryTake()).toBe(false);
    expect(b.waitTimeMs()).toBe(500);
    clock.advance(499);
    expect(b.tryTake()).toBe(false);
    clock.advance(1);
    expect(b.tryTake()).toBe(true);
  });

  it('never holds more than its burst after a long idle period', () => {
    const clock = new ManualClock();
    const b = new TokenBucket({ burst: 3, perSecond: 10 }, clock);
    clock.advance(60_000);
    let n = 0;
    while (b.tryTake()) n++;
    expect(n).toBe(3);
  });

  it('take waits on the clock until a token refills', async () => {
    const clock = new ManualClock();
    const b = new TokenBucket({ burst: 1, perSecond: 1 }, clock);
    await b.take();
    let done = false;
    const p = b.take().then(() => {
      done = true;
    });
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(1000);
    await p;
    expect(done).toBe(true);
  });

  it('rejects a zero rate with a message naming the values', () => {
    expect(() => new TokenBucket({ burst: 5, perSecond: 0 }, new ManualClock())).toThrow(/perSecond=0/);
  });
});

describe('WorkQueue', () => {
  it('queues a key at most once', () => {
    const q = new WorkQueue<string>();
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.length).toBe(2);
  });

  it('never hands out a key that is being processed, and re-queues it when done if it was added meanwhile', () => {
    const q = new WorkQueue<string>();
    q.add('a');
    expect(q.next(0)).toBe('a');
    q.add('a');
    expect(q.next(0)).toBeUndefined();
    q.done('a');
    expect(q.next(0)).toBe('a');
    q.done('a');
    expect(q.isIdle()).toBe(true);
  });

  it('releases a delayed key at its due time and keeps the earliest due time', () => {
    const q = new WorkQueue<string>();
    q.addAt('a', 100);
    q.addAt('a', 50);
    q.addAt('a', 70);
    expect(q.nextDueAt()).toBe(50);
    expect(q.next(49)).toBeUndefined();
    expect(q.next(50)).toBe('a');
  });
});

describe('placement', () => {
  const row = (instance_type: string | null, zone: string | null, spec = '{}') => ({
    instance_type,
    zone,
    spec,
  });

  it('lists zones before types so a capacity error moves to the next zone first', () => {
    expect(
      placementCandidates(row('t3.small', 'a', '{"zones":["a","b"],"instance_types":["t3.medium"]}')),
    ).toEqual([
      { instanceType: 't3.small', zone: 'a' },
      { instanceType: 't3.small', zone: 'b' },
      { instanceType: 't3.medium', zone: 'a' },
      { instanceType: 't3.medium', zone: 'b' },
    ]);
  });

  it('leaves type and zone to the provider when the row names none', () => {
    expect(placementCandidates(row(null, null))).toEqual([{ instanceType: undefined, zone: undefined }]);
  });

  it('rejects a malformed alternatives list with INVALID_SPEC naming the field', () => {
    expect(() => placementCandidates(row(null, null, '{"zones":"a"}'))).toThrow(
      /spec\.zones must be a non-empty array/,
    );
  });

  it('skips a cooling placement and says when the first one comes back when all are cooling', () => {
    const c = new CapacityCooloff(180_000);
    const cands = placementCandidates(row('t', 'a', '{"zones":["b"]}'));
    c.mark('aws', cands[0], 1000);
    expect(choosePlacement('aws', cands, c, 2000)).toMatchObject({ kind: 'chosen', index: 1 });
    c.mark('aws', cands[1], 5000);
    expect(choosePlacement('aws', cands, c, 6000)).toEqual({ kind: 'cooling', retryAt: 181_000 });
    expect(choosePlacement('aws', cands, c, 181_000)).toMatchObject({ kind: 'chosen', index: 0 });
  });

  it('keeps cool-offs per provider', () => {
    const c = new CapacityCooloff(1000);
    c.mark('aws', { instanceType: 't', zone: 'a' }, 0);
    expect(c.coolingUntil('gcp', { instanceType: 't', zone: 'a' }, 10)).toBeUndefined();
  });
});

describe('idempotency tokens', () => {
  it('round-trip generation and placement, also for node ids with dashes', () => {
    const t = idempotencyToken('n-ab-cd', 7, 2);
    expect(parseIdempotencyToken('n-ab-cd', t)).toEqual({ generation: 7, placementIndex: 2 });
  });

  it('refuse a token of another node', () => {
    expect(() => parseIdempotencyToken('n-x', idempotencyToken('n-y', 1, 0))).toThrow(/not of the form n-x-/);
  });
});

describe('planOrphans', () => {
  const base = { clusterId: 'c1', firstSeen: new Map<string, number>(), now: 100_000, gracePeriodMs: 60_000 };
  const inst = (id: string, nodeId: string | undefined, clusterId: string | undefined, launchedAt = 0) =>
    ({ id, nodeId, clusterId, state: 'running', launchedAt }) as const;
  const row = (instance_id: string | null, idempotency_token: string | null = 'tok') =>
    ({ instance_id, idempotency_token, status: 'ready' }) as const;

  it('terminates an owned instance with no row once past the grace period', () => {
    const out = planOrphans({ ...base, instances: [inst('i-1', 'n-1', 'c1')], rows: new Map() });
    expect(out).toEqual([{ instance: inst('i-1', 'n-1', 'c1'), reason: 'no-row' }]);
  });

  it('leaves an orphan younger than the grace period alone', () => {
    const out = planOrphans({ ...base, instances: [inst('i-1', 'n-1', 'c1', 50_000)], rows: new Map() });
    expect(out).toEqual([]);
  });

  it('never touches untagged or foreign instances', () => {
    const out = planOrphans({
      ...base,
      instances: [
        inst('i-1', undefined, undefined),
        inst('i-2', 'n-1', 'other'),
        inst('i-3', undefined, 'c1'),
      ],
      rows: new Map(),
    });
    expect(out).toEqual([]);
  });

  it('terminates a second instance of a node whose row points at another one', () => {
    const out = planOrphans({
      ...base,
      instances: [inst('i-1', 'n-1', 'c1'), inst('i-2', 'n-1', 'c1')],
      rows: new Map([['n-1', row('i-1')]]),
    });
    expect(out.map((o) => [o.instance.id, o.reason])).toEqual([['i-2', 'row-points-elsewhere']]);
  });

  it('spares the instance of a row that is mid-launch (token, no instance id yet)', () => {
    const out = planOrphans({
      ...base,
      instances: [inst('i-1', 'n-1', 'c1')],
      rows: new Map([['n-1', row(null)]]),
    });
    expect(out).toEqual([]);
  });
});
