import { type ErrorCode, InfrabaseError } from '../../../engine/index.js';

/** What the failed EC2 call was about, for the translated error's message and details. */
export interface Ec2ErrorContext {
  action: 'RunInstances' | 'DescribeInstances' | 'TerminateInstances';
  instanceId?: string;
  instanceType?: string;
  zone?: string;
}

const THROTTLING = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'RequestThrottled']);
const CAPACITY = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientHostCapacity',
  'InsufficientReservedInstanceCapacity',
  'InsufficientCapacity',
  'InstanceLimitExceeded',
  'VcpuLimitExceeded',
]);
const NOT_FOUND = new Set(['InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed']);
const SPEC =
  /^(InvalidAMIID|InvalidSubnetID|InvalidSubnet|InvalidGroup|InvalidKeyPair|InvalidParameter|InvalidBlockDeviceMapping|MissingParameter|Unsupported|InvalidInstanceType|InvalidUserData)/;
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND']);

/**
 * Translates an error thrown by `@aws-sdk/client-ec2` into an InfrabaseError (EC2 error codes:
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html):
 * throttling → `THROTTLED` (retryable); `InsufficientInstanceCapacity` and instance limits →
 * `INSUFFICIENT_CAPACITY` with details `{ instanceType, zone }` (retryable elsewhere or later);
 * `InvalidInstanceID.*` → `NOT_FOUND`; `IdempotentParameterMismatch` → `CONFLICT`; invalid parameters →
 * `INVALID_SPEC`; auth failures → `UNAUTHENTICATED` / `PERMISSION_DENIED`; 5xx and connection errors (a
 * reply lost after the call) → `UNAVAILABLE` (retryable).
 */
export function fromEc2Error(err: unknown, ctx: Ec2ErrorContext): InfrabaseError {
  if (err instanceof InfrabaseError) return err;
  const e = err as {
    name?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const vendor = e?.name ?? 'Error';
  const message = e?.message ?? String(err);
  const status = e?.$metadata?.httpStatusCode;
  const say = (code: ErrorCode, what: string, retryable?: boolean, details: Record<string, unknown> = {}) =>
    new InfrabaseError(code, `${vendor} from EC2 ${ctx.action}: ${message} (${what})`, {
      cause: err,
      retryable,
      details: { vendorCode: vendor, ...details },
    });

  if (THROTTLING.has(vendor))
    return say('THROTTLED', 'the account request rate is limited; retry later', true);
  if (CAPACITY.has(vendor)) {
    const zone = ctx.zone ?? /Availability Zone you requested \(([a-z0-9-]+)\)/.exec(message)?.[1] ?? null;
    return say('INSUFFICIENT_CAPACITY', 'try another instance type or zone, or later', true, {
      instanceType: ctx.instanceType,
      zone,
    });
  }
  if (NOT_FOUND.has(vendor)) {
    return say('NOT_FOUND', 'the instance does not exist or is long gone', false, {
      instanceId: ctx.instanceId,
    });
  }
  if (vendor === 'IdempotentParameterMismatch') {
    return say('CONFLICT', 'the idempotency token was used for a different launch; use a new token', false);
  }
  if (vendor === 'AuthFailure') return say('UNAUTHENTICATED', 'check the AWS credential chain', false);
  if (vendor === 'UnauthorizedOperation' || vendor === 'OptInRequired') {
    return say('PERMISSION_DENIED', 'see docs/providers.md for the IAM policy infrabase needs', false);
  }
  if (SPEC.test(vendor)) return say('INVALID_SPEC', 'fix the node spec or providers.aws settings', false);
  if (status !== undefined && status >= 500) return say('UNAVAILABLE', 'EC2 server error; retry', true);
  if (status !== undefined && status >= 400) return say('INVALID_SPEC', 'EC2 rejected the request', false);
  if (
    NETWORK.has(e?.code ?? '') ||
    vendor === 'TimeoutError' ||
    /socket hang up|ECONNRESET|network/i.test(message)
  ) {
    return say(
      'UNAVAILABLE',
      'no reply from EC2; the call may have taken effect, retry with the same token',
      true,
    );
  }
  return new InfrabaseError('INTERNAL', `unexpected error from EC2 ${ctx.action}: ${message}`, {
    cause: err,
  });
}
