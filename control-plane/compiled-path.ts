import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The path of a compiled JavaScript file next to the calling module, for `fork`/`spawn`. When the caller runs
 * from TypeScript source (as under vitest), the compiled twin under `dist/` is returned instead, since child
 * processes run plain Node.
 *
 * @param metaUrl the caller's `import.meta.url`.
 * @param file a path relative to the caller, ending in `.js`.
 */
export function compiledPath(metaUrl: string, file: string): string {
  const here = fileURLToPath(metaUrl);
  const target = resolve(dirname(here), file);
  if (!here.endsWith('.ts')) return target;
  let root = dirname(here);
  while (!existsSync(join(root, 'package.json')) && dirname(root) !== root) root = dirname(root);
  return join(root, 'dist', relative(root, target));
}

/** The `infrabase` command's entry point (`dist/control-plane/bin.js`). */
export const BIN_PATH = compiledPath(import.meta.url, './bin.js');
