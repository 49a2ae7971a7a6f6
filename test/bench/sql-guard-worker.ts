/**
 * The SQL worker as it was before the connection guard, for the sql-guard benchmark only: user SQL prepared
 * without the authorizer and no check of the connection after each answer. Never used by the server.
 */

import { userSqlExtensions } from '../../control-plane/modules/extensions.js';
import {
  executeStatement,
  fromSqliteError,
  openDatabase,
  type WorkerMessage,
  type WorkerRequest,
} from '../../engine/index.js';
import { takePredictUsage } from '../../ml/index.js';

const extensions = userSqlExtensions();
const db = openDatabase(process.argv[2], { role: 'sql-worker', extensions });
const send = (m: WorkerMessage) => process.send!(m);
process.on('message', (req: WorkerRequest) => {
  let kind: 'read' | 'write' = 'write';
  try {
    kind = db.prepare(req.sql).readonly ? 'read' : 'write';
    const result = executeStatement(
      db,
      { sql: req.sql, params: req.params },
      { readOnly: req.readOnly, extensions },
    );
    send({ type: 'result', id: req.id, result, kind, usage: takePredictUsage(db) });
  } catch (err) {
    const e = fromSqliteError(err);
    send({
      type: 'error',
      id: req.id,
      code: e.code,
      message: e.message,
      kind,
      usage: takePredictUsage(db),
    });
  }
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
