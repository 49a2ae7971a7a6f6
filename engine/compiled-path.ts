import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The path of a build output next to the calling module: a compiled JavaScript file for `fork`/`spawn`, or
 * another artefact the build writes beside it (the native batch library). When the caller runs from
 * TypeScript source (as under vitest), the twin under `dist/` is returned instead, since child processes run
 * plain Node and build artefacts live only there.
 *
 * @param metaUrl the caller's `import.meta.url`.
 * @param file a path relative to the caller (`./worker-main.js`, `./batch.so`).
 */
export function compiledPath(metaUrl: string, file: string): string {
  const here = fileURLToPath(metaUrl);
  const target = resolve(dirname(here), file);
  if (!here.endsWith('.ts')) return target;
  let root = dirname(here);
  while (!existsSync(join(root, 'package.json')) && dirname(root) !== root) root = dirname(root);
  return join(root, 'dist', relative(root, target));
}
