import {
  type ChangeFeed,
  type Clock,
  type Database,
  isInfrabaseError,
  type Random,
  systemClock,
} from '../../engine/index.js';
import { type NodeRow, NodeStore } from '../nodes/index.js';
import type { CloudProvider } from '../provider.js';
import { type BackoffOptions, fullJitterBackoff } from './backoff.js';
import { OrphanCollector } from './orphan-collector.js';
import type { Orphan } from './orphans.js';
import { CapacityCooloff } from './placement.js';
import { rateLimitedProvider } from './rate-limited-provider.js';
import {
  type ReconcileDeps,
  type ReconcileResult,
  reconcileNode,
  type TerminationGate,
} from './reconcile-node.js';
import { TokenBucket } from './token-bucket.js';
import { WorkQueue } from './work-queue.js';

/** Tunables; durations in ms. Mirrors the `reconciler` section of the control plane's configuration. */
export interface ReconcilerSettings {
  /** Reconciles running at once. Default 8. */
  readonly concurrency?: number;
  /** Every row is re-queued this often (the level-based safety net). Default 30000. */
  readonly resyncIntervalMs?: number;
  readonly heartbeatTimeoutMs?: number;
  /** A launch whose agent has not heartbeated this long is replaced. Default: never. */
  readonly registrationTimeoutMs?: number;
  readonly orphanGracePeriodMs?: number;
  readonly capacityCooloffMs?: number;
  /** Per-provider token bucket for API calls; omit for no client-side limit. */
  readonly rateLimit?: { readonly burst: number; readonly perSecond: number };
  readonly backoff?: BackoffOptions;
}

export interface ReconcilerOptions extends ReconcilerSettings {
  /** The writer connection of the process that owns the database. */
  readonly db: Database;
  /** Feeds `sys_nodes` writes from any connection; without it only resyncs and requeues drive the queue. */
  readonly feed?: ChangeFeed;
  readonly providers: readonly CloudProvider[];
  /** Value of the ownership tag `infrabase-cluster`. */
  readonly clusterId: string;
  readonly clock?: Clock;
  /** Jitter source. Default Math.random. */
  readonly random?: Random;
  readonly userData?: (row: NodeRow, token: string) => string | undefined;
  readonly drain?: (row: NodeRow, signal: AbortSignal) => Promise<void>;
  /** The data layer's "may this data node be terminated?" (the DELETE finalizer waits while it says no). */
  readonly terminationGate?: TerminationGate;
  /** Called after every step, for logs, metrics and tests, with the step's wall time in ms. */
  readonly onStep?: (id: string, outcome: ReconcileResult | { error: unknown }, durationMs: number) => void;
  /** Called for every orphan the collector terminated (or found already gone), with its provider's name. */
  readonly onOrphanTerminated?: (provider: string, orphan: Orphan) => void;
}

/**
 * The thin shell around {@link reconcileNode}: a {@link WorkQueue}-backed loop with bounded concurrency, fed
 * by the change feed (`sys_nodes`), a periodic resync and the steps' requeue hints; retryable errors are
 * re-queued with exponential backoff and full jitter; a periodic orphan collection pass.
 */
export class Reconciler {
  private readonly queue = new WorkQueue<string>();
  private readonly failures = new Map<string, number>();
  private readonly deps: ReconcileDeps;
  private readonly collector: OrphanCollector;
  private readonly abort = new AbortController();
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly concurrency: number;
  private readonly resyncIntervalMs: number;
  private inflight = 0;
  private wake?: () => void;
  private loops: Promise<void>[] = [];
  private unsubscribe?: () => void;
  private running = false;
  readonly store: NodeStore;

  constructor(private readonly options: ReconcilerOptions) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.concurrency = options.concurrency ?? 8;
    this.resyncIntervalMs = options.resyncIntervalMs ?? 30_000;
    this.store = new NodeStore(options.db);
    const providers = new Map<string, CloudProvider>();
    for (const p of options.providers) {
      const limit = options.rateLimit;
      providers.set(p.name, limit ? rateLimitedProvider(p, new TokenBucket(limit, this.clock)) : p);
    }
    this.deps = {
      store: this.store,
      providers,
      cooloff: new CapacityCooloff(options.capacityCooloffMs ?? 180_000),
      clock: this.clock,
      clusterId: options.clusterId,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 10_000,
      registrationTimeoutMs: options.registrationTimeoutMs,
      userData: options.userData,
      drain: options.drain,
      terminationGate: options.terminationGate,
      signal: this.abort.signal,
      lastLookup: new Map(),
    };
    this.collector = new OrphanCollector({
      store: this.store,
      providers,
      clusterId: options.clusterId,
      clock: this.clock,
      gracePeriodMs: options.orphanGracePeriodMs,
      onTerminated: options.onOrphanTerminated,
    });
  }

  /** Subscribes to the feed, queues every row and starts the workers and the resync loop. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.options.feed?.subscribe({
      tables: ['sys_nodes'],
      onChanges: (changes) => {
        for (const c of changes) this.enqueue(c.key);
      },
      onResync: () => this.resync(),
    });
    this.resync();
    this.loops.push(this.dispatchLoop(), this.resyncLoop());
  }

  /** Stops taking work, aborts in-flight provider calls and waits for the loops to end. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    this.abort.abort(new Error('reconciler stopped'));
    this.wake?.();
    await Promise.allSettled(this.loops);
  }

  /** Queues a row id now. */
  enqueue(id: string): void {
    this.queue.add(id);
    this.wake?.();
  }

  /** Queues every row. */
  resync(): void {
    for (const id of this.store.ids()) this.queue.add(id);
    this.wake?.();
  }

  /** One orphan collection pass. */
  collectOrphans() {
    return this.collector.collect(this.abort.signal);
  }

  /** Node ids ready to be reconciled now (not counting delayed ones or those being reconciled). */
  queueDepth(): number {
    return this.queue.length;
  }

  /** True when nothing is queued, delayed or running (tests use it to wait for convergence). */
  isIdle(): boolean {
    return this.queue.isIdle() && this.inflight === 0;
  }

  private async dispatchLoop(): Promise<void> {
    const workers = new Set<Promise<void>>();
    while (this.running) {
      while (this.inflight < this.concurrency) {
        const id = this.queue.next(this.clock.now());
        if (id === undefined) break;
        this.inflight++;
        const w = this.process(id).finally(() => {
          this.inflight--;
          workers.delete(w);
          this.wake?.();
        });
        workers.add(w);
      }
      const due = this.queue.nextDueAt();
      const ctl = new AbortController();
      const woken = new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      const timers: Promise<unknown>[] = [woken];
      if (due !== undefined) {
        timers.push(this.clock.sleep(Math.max(0, due - this.clock.now()), ctl.signal).catch(() => undefined));
      }
      await Promise.race(timers);
      ctl.abort();
      this.wake = undefined;
    }
    await Promise.allSettled(workers);
  }

  private async resyncLoop(): Promise<void> {
    while (this.running) {
      try {
        await this.clock.sleep(this.resyncIntervalMs, this.abort.signal);
      } catch {
        return;
      }
      this.resync();
      try {
        await this.collectOrphans();
      } catch (err) {
        this.options.onStep?.('orphan-collector', { error: err }, 0);
      }
    }
  }

  private async process(id: string): Promise<void> {
    const start = performance.now();
    try {
      const result = await reconcileNode(this.deps, id);
      if (result.action === 'gone' || result.action === 'removed') this.deps.lastLookup?.delete(id);
      this.failures.delete(id);
      this.options.onStep?.(id, result, performance.now() - start);
      this.queue.done(id);
      if (result.requeue) this.queue.add(id);
      else if (result.requeueAfterMs !== undefined) {
        this.queue.addAt(id, this.clock.now() + result.requeueAfterMs);
      }
    } catch (err) {
      this.queue.done(id);
      this.options.onStep?.(id, { error: err }, performance.now() - start);
      if (!this.running) return;
      const n = this.failures.get(id) ?? 0;
      this.failures.set(id, n + 1);
      const retryable = !isInfrabaseError(err) || err.retryable;
      const delay = fullJitterBackoff(n, this.random, this.options.backoff);
      this.queue.addAt(id, this.clock.now() + (retryable ? delay : Math.max(delay, 30_000)));
    }
  }
}
