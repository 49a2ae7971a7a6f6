import type { Clock } from '../clock.js';

/**
 * A byte-rate limit shared by every shard copy of the data layer (docs/distributed-tables.md, "Moves"): each
 * {@link ByteRateLimiter.take} of n bytes reserves n / rate seconds after the previous reservation and resolves
 * when that reservation ends, so the bytes granted between the first call and the last resolution never exceed
 * `bytesPerSecond` × elapsed time (no burst builds up while idle). Concurrent copies share the rate.
 * `bytesPerSecond` 0 means no limit. Time comes from the injected clock.
 */
export class ByteRateLimiter {
  private reservedUntil = 0;

  /** @param bytesPerSecond the limit, bytes/s (>= 0; 0: unlimited). @throws RangeError otherwise. */
  constructor(
    readonly bytesPerSecond: number,
    private readonly clock: Clock,
  ) {
    if (!Number.isFinite(bytesPerSecond) || bytesPerSecond < 0) {
      throw new RangeError(
        `bytesPerSecond must be a finite number >= 0 (0: unlimited); got ${bytesPerSecond}`,
      );
    }
  }

  /** Waits until `bytes` more may pass. Rejects with the signal's reason when aborted. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    if (this.bytesPerSecond === 0 || bytes <= 0) return;
    const now = this.clock.now();
    this.reservedUntil = Math.max(now, this.reservedUntil) + (bytes / this.bytesPerSecond) * 1000;
    const wait = this.reservedUntil - now;
    if (wait > 0) await this.clock.sleep(wait, signal);
  }

  /** `source`'s chunks, each passed on once the limiter grants its bytes. */
  async *throttle<T extends Uint8Array>(source: AsyncIterable<T>, signal?: AbortSignal): AsyncGenerator<T> {
    for await (const chunk of source) {
      await this.take(chunk.byteLength, signal);
      yield chunk;
    }
  }
}
