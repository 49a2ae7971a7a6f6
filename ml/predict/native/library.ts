import { existsSync } from 'node:fs';
import type { Database, Statement } from 'better-sqlite3';
import { compiledPath } from '../../../engine/index.js';
import { NATIVE_KINDS } from './rewrite.js';

/** Where `npm run build` writes the compiled extension (dist/ml/predict/native/batch.so). */
export const NATIVE_LIBRARY_PATH = compiledPath(import.meta.url, './batch.so');

let nativeBatching = true;

/**
 * Whether connections opened from now on in this process batch PREDICT in the native extension (when it was
 * built); false keeps batching in JavaScript and the library unloaded. The configuration's
 * `predict.nativeBatching` (default true): the control plane sets it at start, each SQL worker from what its
 * pool passes it, an agent from its own settings.
 */
export function setNativeBatching(enabled: boolean): void {
  nativeBatching = enabled;
}

/** One stream of collected calls: every call of one (function, model reference), in call order. */
export interface NativeStream {
  readonly index: number;
  readonly kind: (typeof NATIVE_KINDS)[number];
  readonly ref: string;
  readonly arity: number;
  readonly rows: number;
}

/** Rows per transfer of features or results (8 MiB of float64 for 8 features), well under SQLite's BLOB limit. */
const TRANSFER_ROWS = 131_072;

/**
 * The batch state the native extension (batch.c) keeps on one connection, read and written through its
 * `ib_batch(op, …)` control function. Valid between {@link NativeBatch.reset} calls; not reentrant.
 */
export class NativeBatch {
  private readonly control: Statement;
  private readonly controlWith: Map<number, Statement> = new Map();

  constructor(private readonly db: Database) {
    this.control = db.prepare('SELECT ib_batch(?)').pluck();
  }

  /** Forgets every stream, placeholder and flag. */
  reset(): void {
    this.control.get('reset');
  }

  /** True when some call could not be taken natively (the pass must be discarded). */
  get failed(): boolean {
    return ((this.control.get('status') as number) & 1) !== 0;
  }

  /** True when some call of this pass had no scored match (it was recorded; the pass must be discarded). */
  get missed(): boolean {
    return ((this.control.get('status') as number) & 2) !== 0;
  }

  /** Starts a pass: clears the streams' cursors, `missed` and `answered` (rows and results are kept). */
  startPass(): void {
    this.control.get('pass');
  }

  /** Calls answered from loaded results in this pass. */
  get answered(): number {
    return this.control.get('answered') as number;
  }

  streams(): NativeStream[] {
    const count = this.control.get('streams') as number;
    return Array.from({ length: count }, (_, index) => ({
      index,
      kind: NATIVE_KINDS[this.op(2).get('kind', index) as number],
      ref: this.op(2).get('model', index) as string,
      arity: this.op(2).get('arity', index) as number,
      rows: this.op(2).get('rows', index) as number,
    }));
  }

  /** The features of the stream's rows `from` to its end, row-major `[rows - from, arity]` float64. */
  features(stream: NativeStream, from = 0): Float64Array {
    const out = new Float64Array((stream.rows - from) * stream.arity);
    for (let first = from; first < stream.rows; first += TRANSFER_ROWS) {
      const n = Math.min(TRANSFER_ROWS, stream.rows - first);
      const blob = this.op(4).get('features', stream.index, first, n) as Buffer;
      out.set(
        new Float64Array(blob.buffer, blob.byteOffset, blob.byteLength / 8),
        (first - from) * stream.arity,
      );
    }
    return out;
  }

  /**
   * Loads the results (one float64 per row) of the stream's rows `from` to `from + results.length`;
   * `from` must be the number of rows loaded so far.
   */
  load(stream: NativeStream, from: number, results: Float64Array): void {
    for (let i = 0; i < results.length; i += TRANSFER_ROWS) {
      const part = results.subarray(i, Math.min(results.length, i + TRANSFER_ROWS));
      this.op(4).get(
        'load',
        stream.index,
        from + i,
        Buffer.from(part.buffer, part.byteOffset, part.byteLength),
      );
    }
  }

  /** For each placeholder of the defer pass (in order), the index of its stream. */
  sequence(): Uint8Array {
    return new Uint8Array(this.control.get('sequence') as Buffer);
  }

  private op(args: number): Statement {
    let stmt = this.controlWith.get(args);
    if (!stmt) {
      stmt = this.db.prepare(`SELECT ib_batch(${Array(args).fill('?').join(', ')})`).pluck();
      this.controlWith.set(args, stmt);
    }
    return stmt;
  }
}

/**
 * Loads the native batch extension on `db` and returns its state, or null when the library was not built
 * (no C compiler at install time) or is turned off ({@link setNativeBatching}); PREDICT then batches in
 * JavaScript.
 *
 * @throws the SqliteError of `loadExtension` when the file exists but cannot be loaded (a broken build).
 */
export function loadNativeBatch(db: Database): NativeBatch | null {
  if (!nativeBatching || !existsSync(NATIVE_LIBRARY_PATH)) return null;
  db.loadExtension(NATIVE_LIBRARY_PATH);
  return new NativeBatch(db);
}
