import type { Clock } from '../../engine/index.js';

/**
 * A `Clock` that moves only when a test calls `advance(ms)`: `now()` is the start time (ms since the epoch,
 * default 1_700_000_000_000) plus everything advanced so far; `sleep(ms)` resolves once the clock has been
 * advanced to its deadline (at once for `ms <= 0`), and sleepers wake in deadline order. A sleep whose signal
 * aborts rejects with the signal's reason and stops waiting.
 */
export class ManualClock implements Clock {
  private t: number;
  private sleepers: { due: number; resolve: () => void }[] = [];

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  /** How many sleeps are pending, so a test can wait until the code under test is parked on the clock. */
  get waiting(): number {
    return this.sleepers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      if (ms <= 0) return resolve();
      const sleeper = { due: this.t + ms, resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  /** Moves time forward by `ms` and wakes, in deadline order, the sleepers whose deadline has come. */
  advance(ms: number): void {
    this.t += ms;
    const due = this.sleepers.filter((s) => s.due <= this.t).sort((a, b) => a.due - b.due);
    this.sleepers = this.sleepers.filter((s) => s.due > this.t);
    for (const s of due) s.resolve();
  }
}
