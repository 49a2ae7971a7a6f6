import { fromSqliteError, InfrabaseError } from '../errors.js';
import { encodeValue } from '../query.js';
import type { PlacementFile } from './placement-file.js';
import type { WriteOp } from './write-batch.js';

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Evaluates an UPDATE or DELETE on the shard's primary placement and returns the row images it produces —
 * without keeping it: the statement runs inside a transaction that is always rolled back, with temporary
 * triggers recording every changed `_row`; the images are then applied to every in-sync placement
 * (the primary included) as one batch. So `random()`, `now` and any function are evaluated once.
 * Refused (and nothing changes): a read (`INVALID_ARGUMENT`), a schema change, an INSERT (inserts are routed
 * on the control plane with ids it assigns), changing a row's shard key or `_row` (`INVALID_ARGUMENT`).
 * @param shardKeys the shard-key column of each table of the group (tables hashed by `_row` map to `_row`).
 * @returns upserts of changed rows and deletes of removed rows, per table, ordered by table and `_row`.
 */
export function evaluateWrite(
  file: PlacementFile,
  sql: string,
  params: readonly unknown[] | Record<string, unknown>,
  shardKeys: ReadonlyMap<string, string>,
): WriteOp[] {
  const db = file.db;
  let stmt: ReturnType<typeof db.prepare>;
  try {
    stmt = db.prepare(sql);
  } catch (err) {
    throw fromSqliteError(err);
  }
  if (stmt.reader || stmt.readonly) {
    throw new InfrabaseError('INVALID_ARGUMENT', 'expected an UPDATE or DELETE; the statement only reads');
  }
  const tables = file.tables();
  const schema = () =>
    (db.prepare("SELECT group_concat(sql, ';') AS s FROM main.sqlite_schema").get() as { s: string | null })
      .s;
  db.exec('BEGIN IMMEDIATE');
  try {
    const before = schema();
    db.exec('CREATE TEMP TABLE _changes (tbl TEXT NOT NULL, row INTEGER NOT NULL)');
    for (const guarded of ['_placement', '_log']) {
      for (const ev of ['INSERT', 'UPDATE', 'DELETE']) {
        db.exec(
          `CREATE TEMP TRIGGER ${quote(`_guard_${guarded}_${ev}`)} BEFORE ${ev} ON main.${guarded}
           BEGIN SELECT RAISE(ABORT, 'placement bookkeeping tables cannot be written'); END`,
        );
      }
    }
    for (const [i, t] of tables.entries()) {
      const key = shardKeys.get(t.toLowerCase()) ?? '_row';
      const name = quote(t).replaceAll("'", "''");
      db.exec(
        `CREATE TEMP TRIGGER _ins_${i} BEFORE INSERT ON main.${quote(t)}
         BEGIN SELECT RAISE(ABORT, 'INSERT into a distributed table takes VALUES routed by the control plane; INSERT … SELECT is not supported'); END;
         CREATE TEMP TRIGGER _upd_${i} AFTER UPDATE ON main.${quote(t)} BEGIN
           SELECT RAISE(ABORT, 'changing the shard key ${key.replaceAll("'", "''")} of ${name} is not supported: delete the row and insert it again')
             WHERE OLD.${quote(key)} IS NOT NEW.${quote(key)};
           SELECT RAISE(ABORT, 'changing _row is not supported') WHERE OLD._row IS NOT NEW._row;
           INSERT INTO temp._changes VALUES ('${t.replaceAll("'", "''")}', NEW._row);
         END;
         CREATE TEMP TRIGGER _del_${i} AFTER DELETE ON main.${quote(t)} BEGIN
           INSERT INTO temp._changes VALUES ('${t.replaceAll("'", "''")}', OLD._row);
         END;`,
      );
    }
    try {
      const run = stmt.run.bind(stmt) as (...args: unknown[]) => unknown;
      run(...(Array.isArray(params) ? params : [params]));
    } catch (err) {
      const e = fromSqliteError(err);
      throw /is not supported|cannot be written|takes VALUES/.test(e.message)
        ? new InfrabaseError('INVALID_ARGUMENT', e.message, { cause: err })
        : e;
    }
    if (schema() !== before) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        'a distributed table takes INSERT, UPDATE or DELETE here, not a schema change',
      );
    }
    const ops: WriteOp[] = [];
    const changed = db.prepare('SELECT DISTINCT tbl, row FROM temp._changes ORDER BY tbl, row').all() as {
      tbl: string;
      row: number;
    }[];
    const byTable = new Map<string, number[]>();
    for (const c of changed) byTable.set(c.tbl, [...(byTable.get(c.tbl) ?? []), c.row]);
    for (const [t, ids] of byTable) {
      const get = db.prepare(`SELECT * FROM main.${quote(t)} WHERE _row = ?`);
      const columns = get.columns().map((c) => c.name);
      const rows: unknown[][] = [];
      const gone: number[] = [];
      for (const id of ids) {
        const r = get.raw().get(id) as unknown[] | undefined;
        if (r) rows.push(r.map(encodeValue));
        else gone.push(id);
      }
      if (rows.length) ops.push({ op: 'upsert', table: t, columns, rows });
      if (gone.length) ops.push({ op: 'delete', table: t, rows: gone });
    }
    return ops;
  } finally {
    db.exec('ROLLBACK');
  }
}
