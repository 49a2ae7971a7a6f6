/**
 * Entry point of a SQL worker process: one connection to the control plane's database, one statement at a
 * time. The parent kills the whole process to end a statement past its time limit, since better-sqlite3
 * cannot interrupt one. Every answer carries the statement's kind and the PREDICT usage since the previous
 * answer, which the parent adds to its metrics. Postgres catalog queries run here too, on an in-memory
 * pg_catalog database built from this connection's schema, so they share the time limits.
 */
import {
  executeStatement,
  fromSqliteError,
  InfrabaseError,
  openDatabase,
  type QueryResult,
} from '../../engine/index.js';
import { takePredictUsage } from '../../ml/index.js';
import { userSqlExtensions } from '../modules/extensions.js';
import { runCatalogStatement } from '../pg/catalog/index.js';
import type { WorkerMessage, WorkerRequest } from './protocol.js';
import { statementKind } from './statement-kind.js';

const dbPath = process.argv[2];
if (!dbPath || !process.send) {
  console.error('usage: worker-main <database path> (must be forked with an IPC channel)');
  process.exit(2);
}

const extensions = userSqlExtensions();
const db = openDatabase(dbPath, { role: 'sql-worker', extensions });
const send = (m: WorkerMessage) => process.send!(m);

process.on('message', (req: WorkerRequest) => {
  const kind = req.catalog ? 'read' : statementKind(db, req.sql);
  try {
    const result = req.catalog
      ? runCatalogStatement(db, req.sql, req.params, req.catalog, req.mode)
      : req.mode === 'describe'
        ? describeStatement(req.sql)
        : executeStatement(db, { sql: req.sql, params: req.params }, { readOnly: req.readOnly, extensions });
    // Declared types of a reader's columns; prepared after it ran (a DDL statement would not prepare again).
    if (req.declaredTypes && result.columns.length > 0 && !result.declaredTypes) {
      result.declaredTypes = describeStatement(req.sql).declaredTypes;
    }
    send({ type: 'result', id: req.id, result, kind, predict: takePredictUsage(db) });
  } catch (err) {
    const e = fromSqliteError(err);
    send({
      type: 'error',
      id: req.id,
      code: e.code,
      message: e.message,
      sqlite: typeof e.details?.sqlite === 'string' ? e.details.sqlite : undefined,
      kind,
      predict: takePredictUsage(db),
    });
  }
});
/** A statement's result columns and their declared types, from preparing it (nothing runs). */
function describeStatement(sql: string): QueryResult {
  let stmt: ReturnType<typeof db.prepare>;
  try {
    stmt = db.prepare(sql);
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

process.on('disconnect', () => {
  db.close();
  process.exit(0);
});
send({ type: 'ready' });
