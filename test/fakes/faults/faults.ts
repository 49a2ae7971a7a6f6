import type { Clock, Random } from '../../../engine/index.js';
import { TokenBucket } from './token-bucket.js';

/** What a fake server does with one request, decided before the action runs. */
export type FaultKind = 'throttle' | 'server-error' | 'drop';

export interface FaultOptions {
  /** Throttling token bucket (EC2 `RequestLimitExceeded`, Compute HTTP 429). Off when absent. */
  throttle?: { burst: number; perSecond: number };
  /** Latency added before each reply, in ms. */
  latencyMs?: number;
  /** Probability in [0, 1] that a request fails with a 5xx before the action runs. */
  serverErrorRate?: number;
  /** Probability in [0, 1] that the reply is dropped (socket destroyed) after the action was done. */
  dropRate?: number;
}

/**
 * Fault injection shared by the EC2 and Compute test servers: a throttling token bucket, random 5xx,
 * replies dropped after the action, latency, capacity errors per (instance type, zone), and queued
 * one-shot faults for deterministic tests. Only mutating calls may be dropped or capacity-failed; every
 * call may be throttled, delayed or 5xx-failed.
 */
export class Faults {
  private bucket?: TokenBucket;
  private latencyMs = 0;
  private serverErrorRate = 0;
  private dropRate = 0;
  private readonly queued = new Map<string, FaultKind[]>();
  private readonly noCapacity = new Set<string>();

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
    options: FaultOptions = {},
  ) {
    this.configure(options);
  }

  /** Replaces the rate-based faults; fields left out keep their value. `throttle: undefined` is ignored. */
  configure(options: FaultOptions): void {
    if (options.throttle) {
      this.bucket = new TokenBucket(options.throttle.burst, options.throttle.perSecond, () =>
        this.clock.now(),
      );
    }
    if (options.latencyMs !== undefined) this.latencyMs = options.latencyMs;
    if (options.serverErrorRate !== undefined) this.serverErrorRate = options.serverErrorRate;
    if (options.dropRate !== undefined) this.dropRate = options.dropRate;
  }

  /** Turns throttling off. */
  clearThrottle(): void {
    this.bucket = undefined;
  }

  /** Queues `kind` for the next `times` calls of `action` (e.g. `RunInstances`, `instances.insert`). */
  failNext(action: string, kind: FaultKind, times = 1): void {
    const q = this.queued.get(action) ?? [];
    for (let i = 0; i < times; i++) q.push(kind);
    this.queued.set(action, q);
  }

  /** Makes launches of `instanceType` in `zone` fail with the cloud's capacity error until restored. */
  setCapacity(instanceType: string, zone: string, available: boolean): void {
    const key = `${instanceType}|${zone}`;
    if (available) this.noCapacity.delete(key);
    else this.noCapacity.add(key);
  }

  hasCapacity(instanceType: string, zone: string): boolean {
    return !this.noCapacity.has(`${instanceType}|${zone}`);
  }

  /** Waits the configured latency (real time through the clock). */
  async delay(): Promise<void> {
    if (this.latencyMs > 0) await this.clock.sleep(this.latencyMs);
  }

  /**
   * Decides the fault for one call of `action`: a queued fault first, then the token bucket, then the
   * random rates. `mutating` calls alone may be dropped.
   */
  decide(action: string, mutating: boolean): FaultKind | undefined {
    const q = this.queued.get(action);
    if (q && q.length > 0) return q.shift();
    if (this.bucket && !this.bucket.take()) return 'throttle';
    if (this.serverErrorRate > 0 && this.random() < this.serverErrorRate) return 'server-error';
    if (mutating && this.dropRate > 0 && this.random() < this.dropRate) return 'drop';
    return undefined;
  }
}
