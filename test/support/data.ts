import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/**
 * The shared real data (see its PROVENANCE.md): `../shared/data` beside the repository, as laid out for
 * development and CI; `INFRABASE_SHARED_DATA` overrides it.
 */
export const SHARED_DATA = process.env.INFRABASE_SHARED_DATA ?? resolve(repoRoot(), '../shared/data');
