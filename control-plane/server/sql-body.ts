import type { FastifyInstance } from 'fastify';
import { isInteger, parse as parseLossless } from 'lossless-json';
import { InfrabaseError } from '../../engine/index.js';

/** Largest body whose integers beyond ±(2^53 − 1) are read exactly (the exact parser is ~80× slower). */
export const EXACT_INTEGER_BODY_LIMIT = 1024 * 1024;

/**
 * Parses a `POST /v1/sql` body. JSON numbers become doubles, except that when `params` holds an integer
 * beyond ±(2^53 − 1) (which a double cannot hold exactly) the body is parsed again exactly: integer literals
 * (no `.`, `e` or `E`) beyond that range become bigint, the rest doubles. Non-finite numbers (`1e400`) stay
 * `Infinity` here, for decodeParams to refuse by name.
 *
 * @throws InfrabaseError `INVALID_ARGUMENT` for text that is not JSON, or an exact parse of a body over
 *   {@link EXACT_INTEGER_BODY_LIMIT} bytes or nested too deeply.
 */
export function parseSqlBody(text: string): unknown {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new InfrabaseError('INVALID_ARGUMENT', `the body is not JSON: ${(err as Error).message}`);
  }
  if (!hasUnsafeInteger((body as { params?: unknown } | null)?.params)) return body;
  if (text.length > EXACT_INTEGER_BODY_LIMIT) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `params hold an integer beyond ±(2^53 - 1), which is read exactly only in bodies up to ${EXACT_INTEGER_BODY_LIMIT} bytes (this one has ${text.length}); send it in a smaller request`,
    );
  }
  try {
    return parseLossless(text, null, exactNumber);
  } catch (err) {
    const why = err instanceof RangeError ? 'it nests too deeply' : (err as Error).message;
    throw new InfrabaseError('INVALID_ARGUMENT', `the body could not be read exactly: ${why}`);
  }
}

function exactNumber(text: string): number | bigint {
  const n = Number(text);
  return isInteger(text) && !Number.isSafeInteger(n) ? BigInt(text) : n;
}

/** Whether the top-level values of `params` include a double that is an integer a double cannot hold exactly. */
function hasUnsafeInteger(params: unknown): boolean {
  if (params === null || typeof params !== 'object') return false;
  const values = Array.isArray(params) ? params : Object.values(params);
  return values.some((v) => typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v));
}

/** Makes `app` (an encapsulated plugin) read JSON bodies with {@link parseSqlBody}. */
export function useSqlBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text, done) => {
    try {
      done(null, parseSqlBody(text as string));
    } catch (err) {
      done(err as InfrabaseError, undefined);
    }
  });
}
