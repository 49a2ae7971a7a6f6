/**
 * Entry point of a SQL worker process: one connection to the control plane's database, one statement at a
 * time. The parent kills the whole process to end a statement past its time limit, since better-sqlite3
 * cannot interrupt one, and the process ends itself when the parent is gone (parent-watch.ts). Every user
 * statement is prepared under the connection guard (engine/native/guard.c) and, after each answer, the
 * connection is checked against its configured state; a connection that drifted is answered for and the
 * worker is replaced. The worker plug-in its pool names (worker-plugin.ts) is imported before the connection
 * opens: it applies its settings, gives the connection's extensions (PREDICT, …) and statement handlers (the
 * Postgres catalog emulation, which so shares the time limits), and every answer carries the statement's
 * kind and the plug-in's usage report since the previous answer, which the parent hands to its observer.
 */
import { statSync } from 'node:fs';
import { ConnectionState } from '../connection-state.js';
import { openDatabase } from '../database.js';
import { fromSqliteError, InfrabaseError } from '../errors.js';
import type { QueryResult } from '../extension.js';
import { ConnectionGuard } from '../native/guard.js';
import { executeStatement } from '../query.js';
import { exitWithParent } from './parent-watch.js';
import { errorReply, type WorkerMessage, type WorkerRequest } from './protocol.js';
import { guessStatementKind, type StatementKind } from './statement-kind.js';
import { loadWorkerPlugin } from './worker-plugin.js';

/** WAL size past which a worker checkpoints with TRUNCATE after a write, bytes. */
export const WAL_TRUNCATE_BYTES = 64 * 1024 * 1024;

const dbPath = process.argv[2];
const parentPid = Number(process.argv[3]);
if (!dbPath || !Number.isInteger(parentPid) || !process.send) {
  console.error('usage: worker-main <database path> <parent pid> (must be forked with an IPC channel)');
  process.exit(2);
}
exitWithParent(parentPid);
const plugin = await loadWorkerPlugin(process.argv[4]);

const extensions = plugin.extensions?.() ?? [];
const db = openDatabase(dbPath, { role: 'sql-worker', extensions });
let guard: ConnectionGuard | undefined;
let guardMissing: InfrabaseError | undefined;
try {
  guard = ConnectionGuard.load(db);
} catch (err) {
  // Without the guard no user statement runs: an unguarded pooled connection could be changed for the next caller.
  guardMissing = fromSqliteError(err);
  console.error(`infrabase SQL worker: ${guardMissing.message}`);
}
const state = ConnectionState.capture(db);
const send = (m: WorkerMessage, then?: () => void) => process.send!(m, undefined, undefined, then);

process.on('message', (req: WorkerRequest) => {
  // The kind comes from the guarded prepare: an unguarded one would already apply some PRAGMAs (SQLite sets
  // e.g. busy_timeout and wal_autocheckpoint while it compiles them).
  let kind: StatementKind = guessStatementKind(req.sql);
  const onPrepared = (readonly: boolean) => {
    kind = readonly ? 'read' : 'write';
  };
  let answer: Exclude<WorkerMessage, { type: 'ready' }>;
  try {
    if (!guard) throw guardMissing!;
    if (req.placement) throw new InfrabaseError('INVALID_ARGUMENT', 'this SQL worker holds no placements');
    const result = req.handler
      ? runHandler(req)
      : req.mode === 'describe'
        ? describeStatement(guard, req.sql, req.readOnly)
        : executeStatement(
            db,
            { sql: req.sql, params: req.params },
            { readOnly: req.readOnly, extensions, guard, onPrepared, countTerminations: true },
          );
    if (req.handler) kind = 'read';
    // Declared types of a reader's columns; prepared after it ran (a DDL statement would not prepare again).
    if (req.declaredTypes && result.columns.length > 0 && !result.declaredTypes) {
      result.declaredTypes = describeStatement(guard, req.sql, req.readOnly).declaredTypes;
    }
    answer = { type: 'result', id: req.id, result, kind, usage: plugin.takeUsage?.(db) };
  } catch (err) {
    answer = errorReply(req.id, err, kind, plugin.takeUsage?.(db));
  }
  // Every setting is compared after a statement that reached a connection-level action (a PRAGMA, ...), the
  // configured ones after any other (a full comparison on every request would cost ~20% of a point read).
  const drift = state.drift(guard?.takeTouched() ?? true);
  if (drift.length === 0) {
    send(answer);
    // After the answer, so a checkpoint never delays (or times out) an acknowledged write.
    if (kind === 'write' && answer.type === 'result') boundWal();
    return;
  }
  // The guard should make this unreachable; if a statement still changed the connection, it is not reused.
  const recycle = drift.join('; ');
  if (db.inTransaction) {
    answer = {
      type: 'error',
      id: req.id,
      code: 'INTERNAL',
      message: `the statement left a transaction open (${recycle}); it was rolled back and the SQL worker replaced`,
      kind,
      usage: answer.usage,
    };
  }
  send({ ...answer, recycle }, () => process.exit(3));
});

/**
 * Runs a request with the plug-in's handler it names.
 * @throws InfrabaseError `INVALID_ARGUMENT` when the plug-in has no handler of that name.
 */
function runHandler(req: WorkerRequest): QueryResult {
  const ref = req.handler!;
  const handlers = plugin.handlers ?? {};
  const handler = Object.hasOwn(handlers, ref.name) ? handlers[ref.name] : undefined;
  if (!handler) {
    throw new InfrabaseError('INVALID_ARGUMENT', `this SQL worker has no statement handler '${ref.name}'`);
  }
  return handler(db, { sql: req.sql, params: req.params, mode: req.mode ?? 'execute' }, ref.context);
}

/** A statement's result columns and their declared types, from preparing it under the guard (nothing runs). */
function describeStatement(g: ConnectionGuard, sql: string, readOnly: boolean | undefined): QueryResult {
  let stmt: ReturnType<typeof db.prepare>;
  try {
    stmt = g.prepare(db, sql, readOnly ? 'read' : 'admin');
  } catch (err) {
    if (err instanceof RangeError) throw new InfrabaseError('INVALID_ARGUMENT', err.message, { cause: err });
    throw err;
  }
  const columns = stmt.reader ? stmt.columns() : [];
  return {
    columns: columns.map((c) => c.name),
    rows: [],
    changes: 0,
    declaredTypes: columns.map((c) => c.type),
  };
}

/**
 * Truncates a WAL that a large write grew past {@link WAL_TRUNCATE_BYTES}, without waiting: the checkpoint runs
 * with busy_timeout 0 (restored after), so readers or a writer elsewhere only make it give up.
 */
function boundWal(): void {
  let size = 0;
  try {
    size = statSync(`${dbPath}-wal`).size;
  } catch {
    return; // no WAL file
  }
  if (size <= WAL_TRUNCATE_BYTES) return;
  const busy = db.pragma('busy_timeout', { simple: true }) as number;
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch {
    // Busy: journal_size_limit bounds the WAL at its next reset.
  } finally {
    db.pragma(`busy_timeout = ${busy}`);
  }
}

process.on('disconnect', () => {
  db.close();
  process.exit(0);
});
send({ type: 'ready' });
