/**
 * Compiles guard.c into the SQLite extension that guards pooled user-SQL connections (`npm run build`, run by
 * `npm ci` through `prepare`). Uses `$CC` or `cc`, and the sqlite3ext.h that better-sqlite3 ships (the same
 * SQLite version it links). Without a compiler it prints why and exits 0: the SQL workers then refuse user
 * SQL with `UNAVAILABLE` rather than run it unguarded (docs/api.md).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileSqliteExtension } from './compile-extension.js';
import { GUARD_LIBRARY_PATH } from './guard.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
compileSqliteExtension(
  join(root, 'engine', 'native', 'guard.c'),
  GUARD_LIBRARY_PATH,
  'user SQL will be refused: the connection guard was not built',
);
