import BetterSqlite3 from 'better-sqlite3';
import { fromSqliteError, InfrabaseError } from '../errors.js';
import type { TableRow } from './store.js';

/** What {@link classifyWrite} learned of a statement that writes a distributed table. */
export type DistributedWrite =
  | {
      readonly kind: 'insert';
      readonly table: string;
      readonly columns: string[];
      readonly rows: unknown[][];
    }
  | { readonly kind: 'modify'; readonly table: string }
  | { readonly kind: 'drop'; readonly table: string };

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Recognises a statement that writes a distributed table, from SQLite's own report rather than from the
 * text: the statement is prepared against an in-memory database holding EMPTY copies of the distributed
 * tables, and its `EXPLAIN` program says which tables it opens for writing (`OpenWrite` root pages) and for
 * reading (`OpenRead`).
 * - Not a write of a distributed table (a read, or it names a table the copies do not have) → `undefined`:
 *   the caller runs it as before.
 * - `INSERT … VALUES` → `insert` with the rows as SQLite evaluated them once, here (defaults, `random()`,
 *   expressions): the copy's insert is captured by a temporary trigger and rolled back. `_row` values are
 *   dropped: the data layer assigns ids.
 * - `UPDATE` / `DELETE` of one distributed table → `modify` (evaluated on each shard's primary).
 * - `DROP TABLE` of one distributed table → `drop` (the copy's schema lost that table when the statement ran
 *   on it, rolled back).
 * @throws InfrabaseError('INVALID_ARGUMENT') for a statement that writes more than one distributed table,
 *   an INSERT that reads a table (`INSERT … SELECT`), or an UPSERT / RETURNING on a distributed table.
 */
export function classifyWrite(
  tables: readonly TableRow[],
  sql: string,
  params: readonly unknown[] | Record<string, unknown>,
): DistributedWrite | undefined {
  const active = tables.filter((t) => t.status === 'active');
  if (active.length === 0) return undefined;
  const scratch = new BetterSqlite3(':memory:');
  try {
    for (const t of active) {
      const cols = t.columns.slice(1).map((c) => `${quote(c.name)} ${c.type}`);
      scratch.exec(`CREATE TABLE ${quote(t.name)} (_row INTEGER PRIMARY KEY, ${cols.join(', ')})`);
    }
    let stmt: BetterSqlite3.Statement;
    try {
      stmt = scratch.prepare(sql);
    } catch {
      return undefined; // not about (only) distributed tables: the ordinary path reports its own error
    }
    if (stmt.readonly) return undefined;
    const roots = new Map(
      (
        scratch.prepare("SELECT rootpage, name FROM sqlite_schema WHERE type = 'table'").all() as {
          rootpage: number;
          name: string;
        }[]
      ).map((r) => [r.rootpage, r.name]),
    );
    const program = scratch.prepare(`EXPLAIN ${sql}`).all(...(Array.isArray(params) ? params : [params])) as {
      opcode: string;
      p2: number;
      p3: number;
    }[];
    const opened = (op: string) =>
      new Set(
        program.filter((r) => r.opcode === op && r.p3 === 0 && roots.has(r.p2)).map((r) => roots.get(r.p2)!),
      );
    const written = opened('OpenWrite');
    if (written.size === 0) return droppedTable(scratch, stmt, params);
    if (written.size > 1) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `a statement may write one distributed table; this one writes ${[...written].join(', ')}`,
      );
    }
    const name = [...written][0];
    const table = active.find((t) => t.name === name)!;
    if (stmt.reader) {
      throw new InfrabaseError('INVALID_ARGUMENT', `RETURNING is not supported on distributed table ${name}`);
    }
    // Run it on the empty copies with the inserted rows captured: an INSERT … VALUES inserts its rows even
    // into an empty table, an UPDATE or DELETE changes nothing there. Always rolled back.
    const cols = table.columns.slice(1).map((c) => c.name);
    scratch.exec('BEGIN');
    let rows: unknown[][];
    try {
      scratch.exec(`CREATE TEMP TABLE _new (${cols.map(quote).join(', ')})`);
      scratch.exec(
        `CREATE TEMP TRIGGER _capture AFTER INSERT ON main.${quote(name)} BEGIN
           INSERT INTO temp._new VALUES (${cols.map((c) => `NEW.${quote(c)}`).join(', ')}); END`,
      );
      const run = stmt.run.bind(stmt) as (...args: unknown[]) => unknown;
      run(...(Array.isArray(params) ? params : [params]));
      rows = scratch.prepare('SELECT * FROM temp._new').raw().all() as unknown[][];
    } catch (err) {
      throw fromSqliteError(err);
    } finally {
      scratch.exec('ROLLBACK');
    }
    if (rows.length === 0) return { kind: 'modify', table: name };
    if (opened('OpenRead').size > 0) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `INSERT … SELECT into distributed table ${name} is not supported; use INSERT … VALUES`,
      );
    }
    return { kind: 'insert', table: name, columns: cols, rows };
  } finally {
    scratch.close();
  }
}

/** The table a schema statement removed from the empty copies (run in a rolled-back transaction), if any. */
function droppedTable(
  scratch: BetterSqlite3.Database,
  stmt: BetterSqlite3.Statement,
  params: readonly unknown[] | Record<string, unknown>,
): DistributedWrite | undefined {
  const names = () =>
    new Set(
      (
        scratch.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as { name: string }[]
      ).map((r) => r.name),
    );
  const before = names();
  let after: Set<string>;
  try {
    scratch.exec('BEGIN');
  } catch {
    return undefined;
  }
  try {
    (stmt.run.bind(stmt) as (...args: unknown[]) => unknown)(...(Array.isArray(params) ? params : [params]));
    after = names();
  } catch {
    return undefined; // not runnable here (VACUUM, ATTACH, …): the ordinary path reports its own error
  } finally {
    if (scratch.inTransaction) scratch.exec('ROLLBACK');
  }
  const dropped = [...before].filter((n) => !after.has(n));
  if (dropped.length === 0) return undefined;
  if (dropped.length > 1) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `a statement may drop one distributed table; this one drops ${dropped.join(', ')}`,
    );
  }
  return { kind: 'drop', table: dropped[0] };
}

/**
 * The distributed tables a read-only statement reads, from SQLite's own report (prepared against empty copies
 * of the distributed tables; `OpenRead` root pages of its `EXPLAIN` program), or `undefined` when it is not a
 * read of distributed tables only. @returns the colocation group to read (one per statement) and the tables.
 * `functions` names the SQL functions the shards add to SQLite's (PREDICT and its kin), so a statement
 * calling them prepares here (as stubs; nothing runs).
 * @throws InfrabaseError('INVALID_ARGUMENT') when it reads tables of two colocation groups (other than
 *   reference tables): such a join cannot run on the nodes.
 */
export function classifyRead(
  tables: readonly TableRow[],
  sql: string,
  functions: readonly string[] = [],
): { colocationGroup: string; tables: string[] } | undefined {
  const active = tables.filter((t) => t.status === 'active');
  if (active.length === 0) return undefined;
  const scratch = new BetterSqlite3(':memory:');
  try {
    for (const t of active) {
      const cols = t.columns.slice(1).map((c) => `${quote(c.name)} ${c.type}`);
      scratch.exec(`CREATE TABLE ${quote(t.name)} (_row INTEGER PRIMARY KEY, ${cols.join(', ')})`);
    }
    for (const f of functions) scratch.function(f, { varargs: true, deterministic: true }, () => null);
    let readonly: boolean;
    try {
      readonly = scratch.prepare(sql).readonly;
    } catch {
      return undefined;
    }
    if (!readonly) return undefined;
    const roots = new Map(
      (
        scratch.prepare("SELECT rootpage, name FROM sqlite_schema WHERE type = 'table'").all() as {
          rootpage: number;
          name: string;
        }[]
      ).map((r) => [r.rootpage, r.name]),
    );
    const program = scratch.prepare(`EXPLAIN ${sql}`).all() as { opcode: string; p2: number; p3: number }[];
    const read = [
      ...new Set(
        program
          .filter((r) => r.opcode === 'OpenRead' && r.p3 === 0 && roots.has(r.p2))
          .map((r) => roots.get(r.p2)!),
      ),
    ];
    if (read.length === 0) return undefined;
    const groups = new Set(
      read
        .map((n) => active.find((t) => t.name === n)!)
        .filter((t) => t.kind === 'distributed')
        .map((t) => t.colocationGroup),
    );
    if (groups.size > 1) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `tables ${read.join(', ')} are in different colocation groups (${[...groups].join(', ')}): a join runs on the nodes only within one group or with reference tables`,
      );
    }
    return { colocationGroup: groups.size === 1 ? [...groups][0] : 'reference', tables: read };
  } finally {
    scratch.close();
  }
}
