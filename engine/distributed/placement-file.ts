import { createHash } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { openDatabase } from '../database.js';
import { InfrabaseError } from '../errors.js';
import { decodeParams, encodeValue } from '../query.js';
import { validateBatch, type WriteBatch, type WriteOp } from './write-batch.js';

/** Batches kept in a placement's `_log` for catch-up (moves and recovery). */
export const DEFAULT_LOG_RETENTION = 10_000;

/** A placement's position: its group, shard, highest epoch seen and last applied write. */
export interface PlacementPosition {
  readonly colocationGroup: string;
  readonly shard: number;
  readonly epoch: number;
  readonly lsn: number;
}

/** What `apply` did: `applied`, or `duplicate` for an lsn already applied (replays are idempotent). */
export type ApplyOutcome = 'applied' | 'duplicate';

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const META = `
CREATE TABLE IF NOT EXISTS _placement (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  colocation_group TEXT NOT NULL,
  shard INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  lsn INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS _log (lsn INTEGER PRIMARY KEY, epoch INTEGER NOT NULL, batch TEXT NOT NULL);
`;

/**
 * One placement: a SQLite file holding one shard of every table of a colocation group, its position
 * (`_placement`) and the log of its recent batches (`_log`). The agent's only writer of that file.
 * Protocol rules enforced here (docs/distributed-tables.md): a batch with an epoch lower than the highest
 * seen is refused (`CONFLICT`, stale epoch); an lsn already applied is a `duplicate`; an lsn past the next
 * one is refused (`CONFLICT`, gap); a batch and its log entry commit in one transaction.
 */
export class PlacementFile {
  readonly db: Database;

  private constructor(
    db: Database,
    private readonly retention: number,
  ) {
    this.db = db;
  }

  /** Opens (creating when `create` is given) the placement file at `path`. */
  static open(
    path: string,
    create?: { colocationGroup: string; shard: number; epoch: number },
    retention = DEFAULT_LOG_RETENTION,
  ): PlacementFile {
    const db = openDatabase(path);
    try {
      db.exec(META);
      if (create) {
        db.prepare(
          'INSERT OR IGNORE INTO _placement (id, colocation_group, shard, epoch, lsn) VALUES (1, ?, ?, ?, 0)',
        ).run(create.colocationGroup, create.shard, create.epoch);
      }
      if (!db.prepare('SELECT 1 FROM _placement').get()) {
        throw new InfrabaseError('NOT_FOUND', `${path} is not a placement file (no _placement row)`);
      }
    } catch (err) {
      db.close();
      throw err;
    }
    return new PlacementFile(db, retention);
  }

  position(): PlacementPosition {
    return this.db
      .prepare('SELECT colocation_group AS colocationGroup, shard, epoch, lsn FROM _placement WHERE id = 1')
      .get() as PlacementPosition;
  }

  /** Raises the highest epoch seen to `epoch` (never lowers it). @returns the epoch now recorded. */
  fence(epoch: number): number {
    this.db.prepare('UPDATE _placement SET epoch = max(epoch, ?) WHERE id = 1').run(epoch);
    return this.position().epoch;
  }

  /**
   * Applies a batch of row images and logs it, atomically.
   * @throws InfrabaseError('CONFLICT') for a stale epoch or an lsn gap; ('INVALID_ARGUMENT') for a bad batch.
   */
  apply(input: unknown): ApplyOutcome {
    const batch = validateBatch(input);
    return this.db
      .transaction((): ApplyOutcome => {
        const pos = this.position();
        if (batch.epoch < pos.epoch) {
          throw new InfrabaseError(
            'CONFLICT',
            `stale epoch: placement ${pos.colocationGroup}/${pos.shard} has seen epoch ${pos.epoch}; batch has ${batch.epoch}`,
            { retryable: false },
          );
        }
        if (batch.lsn <= pos.lsn) return 'duplicate';
        if (batch.lsn !== pos.lsn + 1) {
          throw new InfrabaseError(
            'CONFLICT',
            `lsn gap: placement ${pos.colocationGroup}/${pos.shard} is at lsn ${pos.lsn}; batch is ${batch.lsn}`,
            { retryable: false },
          );
        }
        for (const op of batch.ops) this.applyOp(op);
        this.db
          .prepare('INSERT INTO _log (lsn, epoch, batch) VALUES (?, ?, ?)')
          .run(batch.lsn, batch.epoch, JSON.stringify(batch));
        this.db.prepare('DELETE FROM _log WHERE lsn <= ?').run(batch.lsn - this.retention);
        this.db.prepare('UPDATE _placement SET epoch = ?, lsn = ? WHERE id = 1').run(batch.epoch, batch.lsn);
        return 'applied';
      })
      .immediate();
  }

  /**
   * The logged batches after `afterLsn`, oldest first, at most `limit`.
   * @throws InfrabaseError('CONFLICT') when the log no longer reaches back to `afterLsn + 1` (trimmed).
   */
  logSince(afterLsn: number, limit = 1000): WriteBatch[] {
    const pos = this.position();
    if (afterLsn >= pos.lsn) return [];
    const rows = this.db
      .prepare('SELECT lsn, batch FROM _log WHERE lsn > ? ORDER BY lsn LIMIT ?')
      .all(afterLsn, limit) as { lsn: number; batch: string }[];
    if (rows.length === 0 || rows[0].lsn !== afterLsn + 1) {
      throw new InfrabaseError(
        'CONFLICT',
        `log of ${pos.colocationGroup}/${pos.shard} no longer holds lsn ${afterLsn + 1} (trimmed); copy the placement again`,
        { retryable: false },
      );
    }
    return rows.map((r) => JSON.parse(r.batch) as WriteBatch);
  }

  /** User tables of the placement, by name (not `_placement`, `_log` or SQLite's own). */
  tables(): string[] {
    return (
      this.db
        .prepare(
          "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT IN ('_placement', '_log') AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .all() as { name: string }[]
    ).map((r) => r.name);
  }

  /**
   * A deterministic digest of the placement's rows: sha256 over each user table in name order, its name,
   * then its rows ordered by `_row` as JSON arrays (BLOBs base64). Equal rows ⇒ equal checksum, whatever the
   * file's page layout. @returns hex digest and the row count.
   */
  checksum(): { checksum: string; rows: number } {
    const h = createHash('sha256');
    let rows = 0;
    for (const t of this.tables()) {
      h.update(`table ${t}\n`);
      for (const r of this.db
        .prepare(`SELECT * FROM ${quote(t)} ORDER BY _row`)
        .raw()
        .iterate()) {
        h.update(`${JSON.stringify((r as unknown[]).map(encodeValue))}\n`);
        rows++;
      }
    }
    return { checksum: h.digest('hex'), rows };
  }

  /** Size of the file in bytes (page count × page size). */
  bytes(): number {
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const size = this.db.pragma('page_size', { simple: true }) as number;
    return pages * size;
  }

  close(): void {
    this.db.close();
  }

  private applyOp(op: WriteOp): void {
    switch (op.op) {
      case 'create_table': {
        const cols = op.columns.map((c) => `${quote(c.name)} ${c.type}`).join(', ');
        this.db.exec(`CREATE TABLE IF NOT EXISTS ${quote(op.table)} (_row INTEGER PRIMARY KEY, ${cols})`);
        return;
      }
      case 'drop_table':
        this.db.exec(`DROP TABLE IF EXISTS ${quote(op.table)}`);
        return;
      case 'upsert': {
        const names = op.columns.map(quote).join(', ');
        const marks = op.columns.map(() => '?').join(', ');
        const stmt = this.db.prepare(
          `INSERT OR REPLACE INTO ${quote(op.table)} (${names}) VALUES (${marks})`,
        );
        for (const r of op.rows) stmt.run(...(decodeParams(r) as unknown[]));
        return;
      }
      case 'delete': {
        const stmt = this.db.prepare(`DELETE FROM ${quote(op.table)} WHERE _row = ?`);
        for (const id of op.rows) stmt.run(id);
        return;
      }
    }
  }
}
