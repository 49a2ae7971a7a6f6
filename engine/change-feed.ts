import type { Database } from 'better-sqlite3';
import type { WatchedTable } from './catalog/change-log.js';
import { openDatabase } from './database.js';

/** One write to a watched table, as recorded by the `sys_changes` triggers. */
export interface Change {
  /** Position in the log; increasing. */
  readonly id: number;
  readonly table: WatchedTable;
  /** The row's key (`sys_nodes.id`, `sys_models.name`, `sys_training_jobs.id`) as text. */
  readonly key: string;
  readonly op: 'insert' | 'update' | 'delete';
  /** Milliseconds since the epoch. */
  readonly ts: number;
}

export interface ChangeFeedOptions {
  /** How often `PRAGMA data_version` is checked, in milliseconds. Default 10. */
  pollIntervalMs?: number;
  /** How often subscribers are told to resync everything (the safety net), in milliseconds. Default 30000. */
  resyncIntervalMs?: number;
}

export interface ChangeSubscriber {
  readonly tables: readonly WatchedTable[];
  onChanges(changes: readonly Change[]): void;
  /** Called periodically, and after the feed fell behind pruning: re-read everything. */
  onResync?(): void;
}

/**
 * Delivers writes to `sys_nodes`, `sys_models` and `sys_training_jobs` — from any connection or process —
 * to in-process subscribers. It checks `PRAGMA data_version` (a counter SQLite bumps when another connection
 * commits; no table is read) every `pollIntervalMs` and, when it moved, reads the new `sys_changes` rows.
 * Uses its own read-only connection.
 */
export class ChangeFeed {
  private readonly db: Database;
  private readonly subscribers = new Set<ChangeSubscriber>();
  private readonly pollIntervalMs: number;
  private readonly resyncIntervalMs: number;
  private lastId: number;
  private lastVersion = -1;
  private pollTimer?: NodeJS.Timeout;
  private resyncTimer?: NodeJS.Timeout;
  private readonly readChanges;
  private readonly dataVersion;

  constructor(path: string, options: ChangeFeedOptions = {}) {
    this.db = openDatabase(path, { role: 'watcher', readonly: true });
    this.pollIntervalMs = options.pollIntervalMs ?? 10;
    this.resyncIntervalMs = options.resyncIntervalMs ?? 30_000;
    this.readChanges = this.db.prepare<
      [number],
      { id: number; tbl: WatchedTable; row_key: string; op: Change['op']; ts: number }
    >('SELECT id, tbl, row_key, op, ts FROM sys_changes WHERE id > ? ORDER BY id LIMIT 1000');
    this.dataVersion = this.db.prepare('PRAGMA data_version').pluck();
    this.lastId =
      (this.db.prepare('SELECT coalesce(max(id), 0) FROM sys_changes').pluck().get() as number) ?? 0;
  }

  /** Starts polling; idempotent. Timers are unref'd so the feed never keeps a process alive. */
  start(): this {
    if (this.pollTimer) return this;
    this.pollTimer = setInterval(() => this.poll(), this.pollIntervalMs);
    this.pollTimer.unref();
    this.resyncTimer = setInterval(() => this.resync(), this.resyncIntervalMs);
    this.resyncTimer.unref();
    return this;
  }

  subscribe(subscriber: ChangeSubscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  /** Reads and delivers whatever is new. Called by the timer; callable directly. */
  poll(): void {
    const version = this.dataVersion.get() as number;
    if (version === this.lastVersion) return;
    this.lastVersion = version;
    for (;;) {
      const rows = this.readChanges.all(this.lastId);
      if (rows.length === 0) return;
      // AUTOINCREMENT ids are consecutive; a gap means entries were pruned before this feed read them.
      const fellBehind = rows[0].id > this.lastId + 1;
      this.lastId = rows[rows.length - 1].id;
      if (fellBehind) this.resync();
      const changes: Change[] = rows.map((r) => ({
        id: r.id,
        table: r.tbl,
        key: r.row_key,
        op: r.op,
        ts: r.ts,
      }));
      for (const s of this.subscribers) {
        const mine = changes.filter((c) => s.tables.includes(c.table));
        if (mine.length > 0) s.onChanges(mine);
      }
      if (rows.length < 1000) return;
    }
  }

  /** Tells every subscriber to re-read everything. */
  resync(): void {
    for (const s of this.subscribers) s.onResync?.();
  }

  close(): void {
    clearInterval(this.pollTimer);
    clearInterval(this.resyncTimer);
    this.pollTimer = undefined;
    this.db.close();
  }
}

/**
 * Deletes change-log entries older than `retentionMs` (default 10 minutes). Run by the process that owns the
 * database, from its writer connection.
 * @returns the number of entries deleted.
 */
export function pruneChanges(db: Database, nowMs: number, retentionMs = 600_000): number {
  return db.prepare('DELETE FROM sys_changes WHERE ts < ?').run(nowMs - retentionMs).changes;
}
