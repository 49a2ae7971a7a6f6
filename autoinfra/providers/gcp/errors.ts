import type { protos } from '@google-cloud/compute';
import { type ErrorCode, InfrabaseError } from '../../../engine/index.js';

/** What the failed Compute call was about, for the translated error's message and details. */
export interface ComputeErrorContext {
  action: string;
  instanceId?: string;
  machineType?: string;
  zone?: string;
}

const CAPACITY = new Set([
  'ZONE_RESOURCE_POOL_EXHAUSTED',
  'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS',
  'RESOURCE_POOL_EXHAUSTED',
  'QUOTA_EXCEEDED',
]);
const NETWORK =
  /ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|socket hang up|other side closed|fetch failed|terminated/i;

function build(
  code: ErrorCode,
  vendor: string,
  message: string,
  what: string,
  ctx: ComputeErrorContext,
  cause: unknown,
  retryable?: boolean,
  details: Record<string, unknown> = {},
): InfrabaseError {
  return new InfrabaseError(code, `${vendor} from Compute ${ctx.action}: ${message} (${what})`, {
    cause,
    retryable,
    details: { vendorCode: vendor, ...details },
  });
}

/**
 * Translates an error thrown by `@google-cloud/compute` (a google-gax `GoogleError` whose `code` is the gRPC
 * status mapped from the HTTP status, or a fetch failure) into an InfrabaseError: 429 / rate limits →
 * `THROTTLED`; 404 → `NOT_FOUND`; 409 → `CONFLICT`; 400 → `INVALID_SPEC`; 401 / 403 → `UNAUTHENTICATED` /
 * `PERMISSION_DENIED`; 5xx and lost replies → `UNAVAILABLE` (retryable). See
 * https://cloud.google.com/compute/docs/api/handling-errors.
 */
export function fromComputeError(err: unknown, ctx: ComputeErrorContext): InfrabaseError {
  if (err instanceof InfrabaseError) return err;
  const e = err as { code?: unknown; message?: string; cause?: { code?: string; message?: string } };
  const message = e?.message ?? String(err);
  const grpc = typeof e?.code === 'number' ? e.code : undefined;
  const say = (code: ErrorCode, vendor: string, what: string, retryable?: boolean, details = {}) =>
    build(code, vendor, message, what, ctx, err, retryable, details);

  if (grpc === 8 || /rate limit|quota exceeded for quota metric/i.test(message)) {
    return say('THROTTLED', 'rateLimitExceeded', 'the project request rate is limited; retry later', true);
  }
  switch (grpc) {
    case 5:
      return say('NOT_FOUND', 'notFound', 'the instance does not exist or was deleted', false, {
        instanceId: ctx.instanceId,
      });
    case 6:
    case 10:
      return say('CONFLICT', 'alreadyExists', 'a resource with this name exists', false);
    case 3:
    case 9:
    case 11:
      return say('INVALID_SPEC', 'invalid', 'fix the node spec or providers.gcp settings', false);
    case 16:
      return say('UNAUTHENTICATED', 'unauthenticated', 'check Application Default Credentials', false);
    case 7:
      return say(
        'PERMISSION_DENIED',
        'forbidden',
        'see docs/providers.md for the roles infrabase needs',
        false,
      );
    case 4:
      return say('TIMEOUT', 'deadlineExceeded', 'Compute did not answer in time; retry', true);
    case 2:
    case 13:
    case 14:
    case 15:
      return say('UNAVAILABLE', 'backendError', 'Compute server error; retry', true);
  }
  if (NETWORK.test(message) || NETWORK.test(e?.cause?.code ?? '') || NETWORK.test(e?.cause?.message ?? '')) {
    return say(
      'UNAVAILABLE',
      'network',
      'no reply from Compute; the call may have taken effect, retry',
      true,
    );
  }
  return new InfrabaseError('INTERNAL', `unexpected error from Compute ${ctx.action}: ${message}`, {
    cause: err,
  });
}

/**
 * Translates a zone operation that finished with `error.errors[]` (e.g. `ZONE_RESOURCE_POOL_EXHAUSTED`,
 * `QUOTA_EXCEEDED` → `INSUFFICIENT_CAPACITY` with details `{ instanceType, zone }`, retryable elsewhere or
 * later; other 5xx → `UNAVAILABLE`; the rest → `INVALID_SPEC`).
 */
export function fromOperationError(
  op: protos.google.cloud.compute.v1.IOperation,
  ctx: ComputeErrorContext,
): InfrabaseError {
  const first = op.error?.errors?.[0];
  const vendor = first?.code ?? 'OPERATION_FAILED';
  const message = first?.message ?? op.httpErrorMessage ?? 'the operation failed';
  const status = op.httpErrorStatusCode ?? 0;
  if (CAPACITY.has(vendor)) {
    return build(
      'INSUFFICIENT_CAPACITY',
      vendor,
      message,
      'try another machine type or zone, or later',
      ctx,
      op,
      true,
      {
        instanceType: ctx.machineType,
        zone: ctx.zone,
      },
    );
  }
  if (vendor === 'RESOURCE_ALREADY_EXISTS') {
    return build('CONFLICT', vendor, message, 'a resource with this name exists', ctx, op, false);
  }
  if (status >= 500)
    return build('UNAVAILABLE', vendor, message, 'Compute server error; retry', ctx, op, true);
  return build(
    'INVALID_SPEC',
    vendor,
    message,
    'fix the node spec or providers.gcp settings',
    ctx,
    op,
    false,
  );
}
