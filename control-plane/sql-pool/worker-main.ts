/**
 * Entry point of a SQL worker process: one connection to the control plane's database, one statement at a
 * time. The parent kills the whole process to end a statement past its time limit, since better-sqlite3
 * cannot interrupt one. Every answer carries the statement's kind and the PREDICT usage since the previous
 * answer, which the parent adds to its metrics.
 */
import { executeStatement, fromSqliteError, openDatabase } from '../../engine/index.js';
import { takePredictUsage } from '../../ml/index.js';
import { userSqlExtensions } from '../modules/extensions.js';
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
  const kind = statementKind(db, req.sql);
  try {
    const result = executeStatement(
      db,
      { sql: req.sql, params: req.params },
      { readOnly: req.readOnly, extensions },
    );
    send({ type: 'result', id: req.id, result, kind, predict: takePredictUsage(db) });
  } catch (err) {
    const e = fromSqliteError(err);
    send({
      type: 'error',
      id: req.id,
      code: e.code,
      message: e.message,
      kind,
      predict: takePredictUsage(db),
    });
  }
});
process.on('disconnect', () => {
  db.close();
  process.exit(0);
});
send({ type: 'ready' });
