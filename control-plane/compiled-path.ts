import { compiledPath } from '../engine/index.js';

/** The `infrabase` command's entry point (`dist/control-plane/bin.js`). */
export const BIN_PATH = compiledPath(import.meta.url, './bin.js');
