import { afterEach, describe, expect, it } from 'vitest';
import { ByteRateLimiter, type Clock, Rebalancer } from '../../engine/index.js';
import { Sim } from './simulation.js';

/**
 * Virtual time: `sleep` parks the caller; `run` lets the code under test go until every caller is parked, then
 * moves time to the earliest deadline and wakes that sleeper, until the awaited work ends.
 */
class VirtualClock implements Clock {
  t = 0;
  sleeps = 0;
  private sleepers: { due: number; wake: () => void }[] = [];
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    this.sleeps++;
    return new Promise((wake) => this.sleepers.push({ due: this.t + ms, wake }));
  }
  async run<T>(work: Promise<T>): Promise<T> {
    let done = false;
    const out = work.finally(() => {
      done = true;
    });
    while (!done) {
      await new Promise((r) => setImmediate(r));
      if (this.sleepers.length === 0) continue;
      this.sleepers.sort((a, b) => a.due - b.due);
      const next = this.sleepers.shift()!;
      this.t = Math.max(this.t, next.due);
      next.wake();
    }
    return out;
  }
}

const MiB = 1024 * 1024;

async function* chunks(total: number, size: number): AsyncGenerator<Uint8Array> {
  for (let left = total; left > 0; left -= size) yield new Uint8Array(Math.min(size, left));
}

/** Passes a stream through the limiter, recording (time, bytes so far) after every chunk. */
async function drain(
  limiter: ByteRateLimiter,
  clock: VirtualClock,
  total: number,
  size: number,
  seen: number[][],
) {
  let bytes = 0;
  for await (const c of limiter.throttle(chunks(total, size))) {
    bytes += c.byteLength;
    seen.push([clock.now(), c.byteLength]);
  }
  return bytes;
}

describe('move throttle (ByteRateLimiter)', () => {
  it('bounds bytes / elapsed by the rate at every chunk, and does not throttle below it', async () => {
    const clock = new VirtualClock();
    const limiter = new ByteRateLimiter(2 * MiB, clock);
    const seen: number[][] = [];
    const bytes = await clock.run(drain(limiter, clock, 10 * MiB, 64 * 1024, seen));
    expect(bytes).toBe(10 * MiB);
    let sum = 0;
    for (const [t, n] of seen) {
      sum += n;
      // Never ahead of the rate: bytes passed by time t ≤ rate × t (t from the first call, 0).
      expect(sum).toBeLessThanOrEqual((2 * MiB * t) / 1000 + 1e-6);
    }
    const elapsed = clock.now() / 1000;
    expect(bytes / elapsed).toBeLessThanOrEqual(2 * MiB);
    expect(bytes / elapsed).toBeGreaterThan(1.99 * MiB);
  });

  it('shares the rate between concurrent copies', async () => {
    const clock = new VirtualClock();
    const limiter = new ByteRateLimiter(4 * MiB, clock);
    const seen: number[][] = [];
    const [a, b] = await clock.run(
      Promise.all([
        drain(limiter, clock, 6 * MiB, 64 * 1024, seen),
        drain(limiter, clock, 2 * MiB, 256 * 1024, seen),
      ]),
    );
    expect(a + b).toBe(8 * MiB);
    expect((a + b) / (clock.now() / 1000)).toBeLessThanOrEqual(4 * MiB);
    expect((a + b) / (clock.now() / 1000)).toBeGreaterThan(3.99 * MiB);
  });

  it('0 means unlimited: no waiting', async () => {
    const clock = new VirtualClock();
    const bytes = await clock.run(drain(new ByteRateLimiter(0, clock), clock, 4 * MiB, 64 * 1024, []));
    expect(bytes).toBe(4 * MiB);
    expect(clock.now()).toBe(0);
    expect(clock.sleeps).toBe(0);
  });

  it('refuses a negative or non-finite rate', () => {
    const clock = new VirtualClock();
    expect(() => new ByteRateLimiter(-1, clock)).toThrow(/bytesPerSecond must be a finite number >= 0/);
    expect(() => new ByteRateLimiter(Number.NaN, clock)).toThrow(/bytesPerSecond/);
  });
});

describe('throttled moves', () => {
  let sim: Sim | undefined;
  afterEach(() => sim?.close());

  it('records bytes and copy time of each move; copy_mb_per_s stays within the limit', async () => {
    sim = new Sim({ maxConcurrentMoves: 2 });
    for (let i = 0; i < 3; i++) sim.addNode(`n-${i}`);
    sim.db
      .prepare(
        `INSERT INTO sys_distributed_tables (name, columns, shard_count, replication_factor)
         VALUES ('kv', '[{"name":"k","type":"TEXT"},{"name":"v","type":"TEXT"}]', 8, 1)`,
      )
      .run();
    await sim.settle();
    await sim.coordinator.insert(
      'kv',
      ['k', 'v'],
      Array.from({ length: 2000 }, (_, i) => [`k${i}`, 'x'.repeat(200)]),
    );
    // A rebalancer whose limiter sleeps in virtual time (the sim's clock advanced by the sleeps).
    const clock = new VirtualClock();
    clock.t = sim.now;
    const s = sim;
    const rate = 0.5 * MiB;
    const rebalancer = new Rebalancer(s.db, s.store, s.coordinator, s.transport, clock, {
      maxConcurrentMoves: 2,
      nodeDeadAfterMs: Number.MAX_SAFE_INTEGER,
      moveBytesPerSecond: rate,
    });
    s.addNode('n-3');
    for (let i = 0; i < 100 && (await clock.run(rebalancer.pass())) > 0; i++);
    const moves = s.db
      .prepare("SELECT bytes, copy_ms, copy_mb_per_s FROM sys_shard_moves WHERE state = 'done'")
      .all() as { bytes: number; copy_ms: number; copy_mb_per_s: number }[];
    expect(moves.length).toBeGreaterThanOrEqual(2);
    for (const m of moves) {
      expect(m.bytes).toBeGreaterThan(0);
      expect(m.copy_ms).toBeGreaterThan(0);
      expect(m.bytes / (m.copy_ms / 1000)).toBeLessThanOrEqual(rate * 1.01); // copy_ms is rounded to 1 ms
      expect(m.copy_mb_per_s).toBeCloseTo(m.bytes / MiB / (m.copy_ms / 1000), 6);
      expect(m.copy_mb_per_s).toBeLessThanOrEqual(0.5 * 1.01);
    }
  });
});
