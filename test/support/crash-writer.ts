/**
 * Child process for the crash-safety test: commits rows in a loop and, after each commit returns, writes the
 * row id to stdout synchronously — the acknowledgement. The parent SIGKILLs it at random moments.
 * Usage: node crash-writer.js <database path> <first id>
 */
import { writeSync } from 'node:fs';
import { openDatabase } from '../../engine/index.js';

const [path, firstArg] = process.argv.slice(2);
const db = openDatabase(path, { migrate: true });
db.exec('CREATE TABLE IF NOT EXISTS crash_rows (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)');
const insert = db.prepare('INSERT INTO crash_rows (id, payload) VALUES (?, randomblob(?))');
const insertMany = db.transaction((id: number) => {
  insert.run(id, 100 + (id % 7) * 1000);
  db.prepare("INSERT INTO sys_metrics (ts, name, value) VALUES (?, 'crash_test', ?)").run(Date.now(), id);
});
writeSync(1, 'ready\n');
for (let id = Number(firstArg); ; id++) {
  insertMany(id);
  writeSync(1, `${id}\n`);
}
