/**
 * The HTTP form of infrabase's errors, shared by every HTTP API it serves (the control plane's and each node
 * agent's): the status of each {@link ErrorCode}, the one error body, and a Fastify error handler.
 */
import Database from 'better-sqlite3';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, fromSqliteError, InfrabaseError } from './errors.js';

/** HTTP status for each error code. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  INVALID_SPEC: 400,
  SQL_ERROR: 400,
  CONSTRAINT: 400,
  MODEL_ERROR: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  READONLY: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  CONFLICT: 409,
  THROTTLED: 429,
  INSUFFICIENT_CAPACITY: 503,
  BUSY: 503,
  UNAVAILABLE: 503,
  TIMEOUT: 504,
  INTERNAL: 500,
};

/** The JSON body of every error answer: `{ error: { code, message } }`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

/**
 * A Fastify error handler. InfrabaseErrors keep their code, SQLite errors are mapped by `fromSqliteError`,
 * request validation and other 4xx errors become INVALID_ARGUMENT (or NOT_FOUND). Anything else is an internal
 * fault: it goes to `logInternal` and the client gets `INTERNAL` with a message pointing at `logName`, so no
 * stack or internal message reaches an HTTP body.
 */
export function createErrorHandler(
  logInternal: (err: Error, request: FastifyRequest) => void,
  logName: string,
): (err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => void {
  return (err, request, reply) => {
    let e: InfrabaseError;
    if (err instanceof InfrabaseError) e = err;
    else if (err instanceof Database.SqliteError) e = fromSqliteError(err);
    else if ((err as FastifyError).validation)
      e = new InfrabaseError('INVALID_ARGUMENT', `request ${err.message}`);
    else if ((err as FastifyError).statusCode && (err as FastifyError).statusCode! < 500) {
      e = new InfrabaseError(
        (err as FastifyError).statusCode === 404 ? 'NOT_FOUND' : 'INVALID_ARGUMENT',
        err.message,
      );
    } else {
      logInternal(err, request);
      e = new InfrabaseError('INTERNAL', `internal error; see ${logName}`);
    }
    const body: ErrorBody = { error: { code: e.code, message: e.message } };
    reply.status(HTTP_STATUS[e.code]).send(body);
  };
}
