import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Compiles one C file into a loadable SQLite extension at `output`, against the sqlite3ext.h that
 * better-sqlite3 ships (the same SQLite version it links), with `$CC` or `cc`. Used by `npm run build`.
 * Never throws: without a header or a compiler it prints `infrabase: <withoutIt> (<why>)` and returns false,
 * so the install goes on and the caller's fallback applies.
 * @returns whether the library was built.
 */
export function compileSqliteExtension(source: string, output: string, withoutIt: string): boolean {
  const include = join(
    dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')),
    'deps',
    'sqlite3',
  );
  if (!existsSync(join(include, 'sqlite3ext.h'))) {
    console.warn(`infrabase: ${withoutIt} (no sqlite3ext.h in ${include})`);
    return false;
  }
  mkdirSync(dirname(output), { recursive: true });
  const compiler = process.env.CC ?? 'cc';
  const link = process.platform === 'darwin' ? ['-dynamiclib'] : ['-shared'];
  const args = ['-O2', '-fPIC', ...link, '-Wall', '-Wextra', '-I', include, source, '-o', output];
  const result = spawnSync(compiler, args, { stdio: 'inherit' });
  if (result.error || result.status !== 0) {
    const why = result.error ? result.error.message : `${compiler} exited with ${result.status}`;
    console.warn(`infrabase: ${withoutIt} (${why})`);
    return false;
  }
  return true;
}
