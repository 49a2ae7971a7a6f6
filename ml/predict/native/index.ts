/** The native SQLite extension that keeps the per-row part of batched PREDICT in C, and its loader. */
export {
  loadNativeBatch,
  NATIVE_LIBRARY_PATH,
  NativeBatch,
  type NativeStream,
  setNativeBatching,
} from './library.js';
export { NATIVE_KINDS, type NativeFunction, rewritePredictCalls } from './rewrite.js';
