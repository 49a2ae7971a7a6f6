/** The native SQLite extension that keeps the per-row part of batched PREDICT in C, and its loader. */
export {
  loadNativeBatch,
  NATIVE_ENV,
  NATIVE_LIBRARY_PATH,
  NativeBatch,
  type NativeStream,
} from './library.js';
export { NATIVE_KINDS, type NativeFunction, rewritePredictCalls } from './rewrite.js';
