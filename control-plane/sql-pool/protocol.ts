import type { ErrorCode, QueryResult } from '../../engine/index.js';

/** Parent → worker: run one statement. */
export interface WorkerRequest {
  readonly id: number;
  readonly sql: string;
  readonly params: unknown[] | Record<string, unknown>;
  readonly readOnly: boolean;
}

/** Worker → parent. The first message a worker sends is `{ type: 'ready' }`. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly id: number; readonly result: QueryResult }
  | { readonly type: 'error'; readonly id: number; readonly code: ErrorCode; readonly message: string };
