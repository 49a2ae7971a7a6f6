/**
 * The one error type of infrabase. Every module throws it with a code from {@link ErrorCode}; vendor errors
 * (SQLite, EC2, Compute, onnxruntime) are translated into it at the edge that talks to the vendor.
 */

/** Stable error codes. HTTP status mapping lives in the control plane. */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'INVALID_SPEC',
  'SQL_ERROR',
  'CONSTRAINT',
  'BUSY',
  'READONLY',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'TIMEOUT',
  'THROTTLED',
  'INSUFFICIENT_CAPACITY',
  'UNAVAILABLE',
  'CONFLICT',
  'MODEL_ERROR',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Codes that are retryable unless a thrower says otherwise. */
const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set(['BUSY', 'THROTTLED', 'UNAVAILABLE', 'TIMEOUT']);

export interface InfrabaseErrorOptions {
  cause?: unknown;
  /** Overrides the code's default retryability. */
  retryable?: boolean;
  /** Which side is at fault, as in aws-sdk-js-v3: the caller's input or the service. */
  fault?: 'client' | 'server';
  /** Machine-readable details safe to show to a client (never secrets). */
  details?: Record<string, unknown>;
}

export class InfrabaseError extends Error {
  override readonly name = 'InfrabaseError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly fault: 'client' | 'server';
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: InfrabaseErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    this.fault = options.fault ?? (code === 'INTERNAL' || code === 'UNAVAILABLE' ? 'server' : 'client');
    this.details = options.details;
  }
}

export function isInfrabaseError(err: unknown, code?: ErrorCode): err is InfrabaseError {
  return err instanceof InfrabaseError && (code === undefined || err.code === code);
}

/**
 * Translates a better-sqlite3 `SqliteError` (or anything thrown by a statement) into an InfrabaseError,
 * keeping SQLite's own message, which names the column or the syntax error.
 */
export function fromSqliteError(err: unknown): InfrabaseError {
  if (err instanceof InfrabaseError) return err;
  const e = err as { code?: string; message?: string };
  const message = e?.message ?? String(err);
  const sqliteCode = typeof e?.code === 'string' ? e.code : '';
  let code: ErrorCode = 'SQL_ERROR';
  if (sqliteCode.startsWith('SQLITE_CONSTRAINT')) code = 'CONSTRAINT';
  else if (sqliteCode === 'SQLITE_BUSY' || sqliteCode === 'SQLITE_LOCKED') code = 'BUSY';
  else if (sqliteCode === 'SQLITE_READONLY' || /attempt to write a readonly database/.test(message))
    code = 'READONLY';
  else if (sqliteCode === 'SQLITE_CORRUPT' || sqliteCode === 'SQLITE_IOERR' || sqliteCode === 'SQLITE_FULL')
    code = 'INTERNAL';
  return new InfrabaseError(code, message, { cause: err, details: sqliteCode ? { sqlite: sqliteCode } : {} });
}

const ALL_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** Whether `s` is one of the {@link ERROR_CODES} (e.g. a code read back from an HTTP error body). */
export function isErrorCode(s: string | undefined): s is ErrorCode {
  return s !== undefined && ALL_CODES.has(s);
}
