import { type Clock, InfrabaseError } from '../../engine/index.js';

export interface TokenBucketOptions {
  /** Bucket size: the largest burst. */
  readonly burst: number;
  /** Refill rate, tokens per second. */
  readonly perSecond: number;
}

/**
 * A token bucket (the classic traffic-shaping algorithm, as EC2's own API throttling is documented):
 * `burst` tokens, refilled continuously at `perSecond`. Time comes from the injected clock.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  readonly burst: number;
  readonly perSecond: number;

  /** @throws InfrabaseError `INVALID_ARGUMENT` unless burst ≥ 1 and perSecond > 0. */
  constructor(
    options: TokenBucketOptions,
    private readonly clock: Clock,
  ) {
    if (!(options.burst >= 1) || !(options.perSecond > 0)) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `token bucket needs burst >= 1 and perSecond > 0, got burst=${options.burst}, perSecond=${options.perSecond}`,
      );
    }
    this.burst = options.burst;
    this.perSecond = options.perSecond;
    this.tokens = options.burst;
    this.last = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000);
      this.last = now;
    }
  }

  /** Takes one token if available. @returns true if taken. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Milliseconds until one token is available (0 if one is available now). */
  waitTimeMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.perSecond);
  }

  /** Waits (on the clock) until a token is available and takes it. Rejects with the signal's reason. */
  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (this.tryTake()) return;
      await this.clock.sleep(Math.max(1, this.waitTimeMs()), signal);
    }
  }
}
