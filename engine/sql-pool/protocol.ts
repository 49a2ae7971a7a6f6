import { type ErrorCode, fromSqliteError } from '../errors.js';
import type { QueryResult } from '../extension.js';

/** Parent → worker: run one statement. */
export interface WorkerRequest {
  readonly id: number;
  readonly sql: string;
  readonly params: unknown[] | Record<string, unknown>;
  readonly readOnly: boolean;
  /**
   * `execute` (default) runs the statement; `describe` only prepares it and answers its columns and their
   * declared types without running it.
   */
  readonly mode?: 'execute' | 'describe';
  /** Add each result column's declared type (`QueryResult.declaredTypes`). */
  readonly declaredTypes?: boolean;
  /** Run `sql` with the worker plug-in's handler of this name, given `context`, instead of the connection. */
  readonly handler?: HandlerRef;
  /** Run `sql` on this placement (a node agent's placement worker only; other workers refuse it). */
  readonly placement?: PlacementRef;
}

/** A worker plug-in's statement handler (`SqlWorkerPlugin.handlers`) and the context of one request for it. */
export interface HandlerRef {
  readonly name: string;
  /** Structured-cloneable; handed to the handler as it is. */
  readonly context?: unknown;
}

/** A placement of a distributed table on a node: colocation group and shard id. */
export interface PlacementRef {
  readonly group: string;
  readonly shard: number;
}

/** What a worker reports with every answer, for the pool's metrics. */
export interface WorkerReport {
  /** The statement's kind: `read` when SQLite judged it read-only (`Statement.readonly`), else `write`. */
  readonly kind: 'read' | 'write';
  /**
   * What the connection used since the worker's previous report, from its plug-in (`SqlWorkerPlugin.takeUsage`,
   * e.g. PREDICT calls by model); absent for nothing. Opaque to the engine: handed to the pool's observer.
   */
  readonly usage?: unknown;
  /**
   * Set when the statement left the connection different from its configured state (what differs): the
   * worker exits after this answer and must be given no further statement.
   */
  readonly recycle?: string;
}

/** Worker → parent. The first message a worker sends is `{ type: 'ready' }`. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | ({ readonly type: 'result'; readonly id: number; readonly result: QueryResult } & WorkerReport)
  | ({
      readonly type: 'error';
      readonly id: number;
      readonly code: ErrorCode;
      readonly message: string;
      /** SQLite's extended result code (e.g. `SQLITE_CONSTRAINT_UNIQUE`) when SQLite raised the error. */
      readonly sqlite?: string;
    } & WorkerReport);

/**
 * A worker's error answer to request `id`: the error as {@link fromSqliteError} maps it (its code, message and
 * SQLite's extended result code when SQLite raised it), with the statement's `kind` and the plug-in's `usage`.
 */
export function errorReply(
  id: number,
  err: unknown,
  kind: WorkerReport['kind'],
  usage?: unknown,
): Extract<WorkerMessage, { type: 'error' }> {
  const e = fromSqliteError(err);
  return {
    type: 'error',
    id,
    code: e.code,
    message: e.message,
    sqlite: typeof e.details?.sqlite === 'string' ? e.details.sqlite : undefined,
    kind,
    usage,
  };
}
