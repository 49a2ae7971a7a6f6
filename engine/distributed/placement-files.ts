import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { fromSqliteError, InfrabaseError } from '../errors.js';
import type { EngineExtension } from '../extension.js';
import { decodeParams, encodeValue, executeStatement } from '../query.js';
import { DEFAULT_LOG_RETENTION, PlacementFile, type PlacementPosition } from './placement-file.js';
import type { ShardQueryResult } from './types.js';
import { isPlainName } from './write-batch.js';

/** The colocation group of reference tables; its shard 0 is attached as `ref` when another shard is queried. */
export const REFERENCE_GROUP = 'reference';

/** Schema name under which a shard query sees the node's model catalog (`sys_models`), when one is given. */
export const MODELS_SCHEMA = 'models';

/** What a node's shard queries may call beyond SQLite's own functions (PREDICT and its kin). */
export interface PlacementQueryExtensions {
  /** Registered on each query's connection; their interceptors and `beforeStatement` hooks run too. */
  readonly extensions: readonly EngineExtension[];
  /**
   * The node's database holding `sys_models` (the agent's shard.db, where the control plane copies the models a
   * query names), attached (read-only, as the connection is) as {@link MODELS_SCHEMA}; the extensions see it as the connection's path.
   */
  readonly modelsPath: string;
}

/**
 * The placements of one agent: `<root>/<group>/<shard>.db`, one {@link PlacementFile} each, opened on first
 * use and kept open. Group names are plain names (letters, digits, `_`), shard ids non-negative integers,
 * so a path never leaves `root`.
 */
export class PlacementFiles {
  private readonly open = new Map<string, PlacementFile>();

  private readonly retention: number;

  private readonly queryExtensions?: PlacementQueryExtensions;

  /**
   * @param options.logRetention batches kept per placement for catch-up (default {@link DEFAULT_LOG_RETENTION}).
   * @param options.query extensions of shard queries (the agent passes the ml extension, so PREDICT runs where
   *   the rows are); without it a shard query has SQLite's functions only.
   */
  constructor(
    readonly root: string,
    options: { logRetention?: number; query?: PlacementQueryExtensions } = {},
  ) {
    this.retention = options.logRetention ?? DEFAULT_LOG_RETENTION;
    this.queryExtensions = options.query;
    mkdirSync(root, { recursive: true });
  }

  /** Path of a placement's file. @throws INVALID_ARGUMENT for a group or shard that is not accepted. */
  path(group: string, shard: number): string {
    if (!isPlainName(group)) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `colocation group ${JSON.stringify(group)} is not accepted; use letters, digits and _`,
      );
    }
    if (!Number.isSafeInteger(shard) || shard < 0) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `shard must be an integer >= 0; got ${JSON.stringify(shard)}`,
      );
    }
    return join(this.root, group, `${shard}.db`);
  }

  /** Creates an empty placement (idempotent: an existing one is returned as it is). */
  create(group: string, shard: number, epoch: number): PlacementPosition {
    const path = this.path(group, shard);
    mkdirSync(join(this.root, group), { recursive: true });
    const f =
      this.open.get(path) ??
      PlacementFile.open(path, { colocationGroup: group, shard, epoch }, this.retention);
    this.open.set(path, f);
    return f.position();
  }

  /** The open placement. @throws NOT_FOUND when this agent holds no such placement. */
  get(group: string, shard: number): PlacementFile {
    const path = this.path(group, shard);
    let f = this.open.get(path);
    if (!f) {
      if (!existsSync(path)) {
        throw new InfrabaseError('NOT_FOUND', `this node holds no placement of ${group}/${shard}`);
      }
      f = PlacementFile.open(path, undefined, this.retention);
      this.open.set(path, f);
    }
    return f;
  }

  /** Placements held, with their positions. */
  list(): PlacementPosition[] {
    const out: PlacementPosition[] = [];
    for (const group of readdirSync(this.root)) {
      if (!isPlainName(group)) continue;
      for (const f of readdirSync(join(this.root, group))) {
        const m = /^(\d+)\.db$/.exec(f);
        if (m) out.push(this.get(group, Number(m[1])).position());
      }
    }
    return out.sort((a, b) =>
      a.colocationGroup < b.colocationGroup
        ? -1
        : a.colocationGroup > b.colocationGroup
          ? 1
          : a.shard - b.shard,
    );
  }

  /** Deletes a placement's file (and its WAL). Idempotent. */
  drop(group: string, shard: number): void {
    const path = this.path(group, shard);
    this.open.get(path)?.close();
    this.open.delete(path);
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
  }

  /**
   * A consistent copy of a placement made with SQLite's online backup API into `dest` (writes go on
   * meanwhile). @returns the copy's position (its lsn is the snapshot's) and size in bytes.
   */
  async snapshot(group: string, shard: number, dest: string): Promise<PlacementPosition & { bytes: number }> {
    const f = this.get(group, shard);
    rmSync(dest, { force: true });
    await f.db.backup(dest);
    const copy = PlacementFile.open(dest);
    try {
      return { ...copy.position(), bytes: statSync(dest).size };
    } finally {
      copy.close();
    }
  }

  /**
   * Installs a snapshot file (from another node) as this node's placement, replacing any copy: checks it is a
   * placement of `group`/`shard`, then renames it into place. @returns its position.
   * @throws INVALID_ARGUMENT when the file is not a placement of that shard.
   */
  install(group: string, shard: number, file: string): PlacementPosition {
    const path = this.path(group, shard);
    const probe = PlacementFile.open(file);
    const pos = probe.position();
    probe.close();
    if (pos.colocationGroup !== group || pos.shard !== shard) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `snapshot holds ${pos.colocationGroup}/${pos.shard}, not ${group}/${shard}`,
      );
    }
    this.drop(group, shard);
    mkdirSync(join(this.root, group), { recursive: true });
    rmSync(`${file}-wal`, { force: true });
    rmSync(`${file}-shm`, { force: true });
    renameSync(file, path);
    return this.get(group, shard).position();
  }

  /**
   * Runs one read-only statement on a placement, with the reference placement (when this node holds one)
   * attached read-only as `ref`, so unqualified names resolve to the shard's tables, then reference tables.
   * With query extensions, the node's model catalog is attached read-only as {@link MODELS_SCHEMA} and the
   * statement runs through `executeStatement` with them (PREDICT batched, the models it names loaded first).
   * The connection is opened read-only for this statement and closed after it.
   * @throws INVALID_ARGUMENT for a statement that writes; NOT_FOUND when the placement is not here;
   *   SQL errors as SQLite reports them; MODEL_ERROR / NOT_FOUND from PREDICT.
   */
  query(group: string, shard: number, sql: string, params: unknown): ShardQueryResult {
    const path = this.path(group, shard);
    // Only the file's presence: a query may run in another process (the agent's placement SQL worker), which
    // must not open the placement for writing.
    if (!this.open.has(path) && !existsSync(path)) {
      throw new InfrabaseError('NOT_FOUND', `this node holds no placement of ${group}/${shard}`);
    }
    const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
    try {
      const ref = this.path(REFERENCE_GROUP, 0);
      if (group !== REFERENCE_GROUP && existsSync(ref)) db.prepare('ATTACH DATABASE ? AS ref').run(ref);
      const q = this.queryExtensions;
      if (q) {
        db.prepare(`ATTACH DATABASE ? AS ${MODELS_SCHEMA}`).run(q.modelsPath);
        for (const ext of q.extensions)
          ext.register?.(db, { path: q.modelsPath, role: 'agent', readonly: true });
      }
      const stmt = db.prepare(sql);
      if (!stmt.reader || !stmt.readonly) {
        throw new InfrabaseError(
          'INVALID_ARGUMENT',
          'a shard query must be one read-only statement that returns rows',
        );
      }
      const decoded = decodeParams(params);
      if (q) {
        const r = executeStatement(
          db,
          { sql, params: decoded },
          { readOnly: true, extensions: q.extensions },
        );
        return { columns: r.columns, rows: r.rows.map((row) => row.map(encodeValue)) };
      }
      const rows = (
        Array.isArray(decoded) ? stmt.raw().all(...decoded) : stmt.raw().all(decoded)
      ) as unknown[][];
      return { columns: stmt.columns().map((c) => c.name), rows: rows.map((r) => r.map(encodeValue)) };
    } catch (err) {
      throw fromSqliteError(err);
    } finally {
      db.close();
    }
  }

  /** Closes every open placement. */
  close(): void {
    for (const f of this.open.values()) f.close();
    this.open.clear();
  }
}
