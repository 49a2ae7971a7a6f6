/**
 * Compiles guard.c into the SQLite extension that guards pooled user-SQL connections (`npm run build`, run by
 * `npm ci` through `prepare`). Uses `$CC` or `cc`, and the sqlite3ext.h that better-sqlite3 ships (the same
 * SQLite version it links). Without a compiler it prints why and exits 0: the SQL workers then refuse user
 * SQL with `UNAVAILABLE` rather than run it unguarded (docs/api.md).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GUARD_LIBRARY_PATH } from './guard.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const source = join(root, 'engine', 'native', 'guard.c');
const include = join(
  dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')),
  'deps',
  'sqlite3',
);
const compiler = process.env.CC ?? 'cc';

function main(): number {
  const refused = 'user SQL will be refused: the connection guard was not built';
  if (!existsSync(join(include, 'sqlite3ext.h'))) {
    console.warn(`infrabase: ${refused} (no sqlite3ext.h in ${include})`);
    return 0;
  }
  mkdirSync(dirname(GUARD_LIBRARY_PATH), { recursive: true });
  const link = process.platform === 'darwin' ? ['-dynamiclib'] : ['-shared'];
  const args = ['-O2', '-fPIC', ...link, '-Wall', '-Wextra', '-I', include, source, '-o', GUARD_LIBRARY_PATH];
  const result = spawnSync(compiler, args, { stdio: 'inherit' });
  if (result.error || result.status !== 0) {
    const why = result.error ? result.error.message : `${compiler} exited with ${result.status}`;
    console.warn(`infrabase: ${refused} (${why})`);
  }
  return 0;
}

process.exitCode = main();
