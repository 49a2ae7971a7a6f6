/**
 * The reconciler's work queue, after client-go's `workqueue`: a key is queued at most once; a key being
 * processed is never handed out twice at the same time (if it is added meanwhile it is marked dirty and
 * queued again when {@link WorkQueue.done} is called); delayed adds keep the earliest due time.
 * Pure: time is passed in, so it is tested without a clock.
 */
export class WorkQueue<K = string> {
  private readonly ready: K[] = [];
  private readonly queued = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly dirty = new Set<K>();
  /** Delayed keys and their due time in ms. */
  private readonly delayed = new Map<K, number>();

  /** Queues `key` now. */
  add(key: K): void {
    this.delayed.delete(key);
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.ready.push(key);
  }

  /** Queues `key` at `dueAt` (ms), unless it is already queued or due earlier. */
  addAt(key: K, dueAt: number): void {
    if (this.queued.has(key)) return;
    const prev = this.delayed.get(key);
    if (prev === undefined || dueAt < prev) this.delayed.set(key, dueAt);
  }

  /** Moves due delayed keys to the ready list and hands out the next key, marking it processing. */
  next(now: number): K | undefined {
    for (const [key, due] of this.delayed) {
      if (due <= now) this.add(key);
    }
    const key = this.ready.shift();
    if (key === undefined) return undefined;
    this.queued.delete(key);
    this.processing.add(key);
    return key;
  }

  /** Marks `key` as processed; re-queues it if it was added while being processed. */
  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  /** The earliest due time of a delayed key, in ms, or undefined. */
  nextDueAt(): number | undefined {
    let min: number | undefined;
    for (const due of this.delayed.values()) if (min === undefined || due < min) min = due;
    return min;
  }

  /** Keys ready now (not counting delayed or processing ones). */
  get length(): number {
    return this.ready.length;
  }

  get processingCount(): number {
    return this.processing.size;
  }

  /** Nothing ready, delayed or processing. */
  isIdle(): boolean {
    return this.ready.length === 0 && this.delayed.size === 0 && this.processing.size === 0;
  }
}
