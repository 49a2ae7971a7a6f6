import type { Clock } from '../../../engine/index.js';

/** A clock that only moves when a test calls `advance`; sleepers wake in due order. */
export class FakeClock implements Clock {
  private t: number;
  private sleepers: { due: number; resolve: () => void }[] = [];

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const s = { due: this.t + ms, resolve };
      this.sleepers.push(s);
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((x) => x !== s);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  advance(ms: number): void {
    this.t += ms;
    const due = this.sleepers.filter((s) => s.due <= this.t);
    this.sleepers = this.sleepers.filter((s) => s.due > this.t);
    for (const s of due) s.resolve();
  }
}
