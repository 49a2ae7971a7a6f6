import { readFileSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { executeStatement, openDatabase } from '../../../engine/index.js';
import { mlExtension, predictBatching, setNativeBatching } from '../../../ml/index.js';
import { EXAMPLES } from '../../support/data.js';

export const MODELS_DIR = `${EXAMPLES}/models`;
export const IRIS_CSV = `${EXAMPLES}/tabular/iris.csv`;

/** A migrated database with the ml extension (triggers installed). */
export function openMlDatabase(path = ':memory:'): Database {
  return openDatabase(path, { migrate: true, extensions: [mlExtension] });
}

/** Runs a statement the way user SQL runs (with the batching interceptor); rows as arrays. */
export function query(db: Database, sql: string, params: unknown[] = []): unknown[][] {
  return executeStatement(db, { sql, params }, { extensions: [mlExtension] }).rows;
}

export function insertModel(db: Database, name: string, file: string): void {
  db.prepare('INSERT INTO sys_models (name, onnx) VALUES (?, ?)').run(
    name,
    readFileSync(`${MODELS_DIR}/${file}`),
  );
}

/** iris.csv as table `iris(id, sepal_length, sepal_width, petal_length, petal_width, species)`. */
export function loadIris(db: Database): void {
  db.exec(
    'CREATE TABLE iris (id INTEGER PRIMARY KEY, sepal_length REAL, sepal_width REAL, petal_length REAL, petal_width REAL, species INTEGER)',
  );
  const lines = readFileSync(IRIS_CSV, 'utf8').trim().split('\n').slice(1);
  const insert = db.prepare('INSERT INTO iris VALUES (?, ?, ?, ?, ?, ?)');
  lines.forEach((line, i) => {
    insert.run(i, ...line.split(',').map(Number));
  });
}

/** Opens a test database whose PREDICT batching runs in the native extension or in JavaScript. */
export function openWithBatching(batching: 'native' | 'javascript', path = ':memory:'): Database {
  setNativeBatching(batching === 'native');
  try {
    const db = openMlDatabase(path);
    if (predictBatching(db) !== batching) throw new Error(`PREDICT batching is ${predictBatching(db)}`);
    return db;
  } finally {
    setNativeBatching(true);
  }
}
