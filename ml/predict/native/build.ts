/**
 * Compiles batch.c into the SQLite extension PREDICT batches with (`npm run build`, run by `npm ci` through
 * `prepare`). Uses `$CC` or `cc`, and the sqlite3ext.h that better-sqlite3 ships (the same SQLite version it
 * links). Without a compiler it prints why and exits 0: PREDICT then batches in JavaScript, correct but
 * slower (docs/predict.md).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileSqliteExtension } from '../../../engine/index.js';
import { NATIVE_LIBRARY_PATH } from './library.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
compileSqliteExtension(
  join(root, 'ml', 'predict', 'native', 'batch.c'),
  NATIVE_LIBRARY_PATH,
  'PREDICT batches in JavaScript: the native batch library was not built',
);
