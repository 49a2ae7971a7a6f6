import type { Socket } from 'node:net';
import type { FaultKind, Faults } from '../faults/index.js';

/** A fault a fake server recorded on a call: an injected one, or an out-of-capacity answer. */
export type CallFault = FaultKind | 'capacity';

/** One request to a fake cloud API, in that API's own errors and wire format. */
export interface FaultyExchange<E> {
  /** The record of this call; `fault` is set when a fault is injected. */
  call: { fault?: CallFault };
  /** The API action the faults are keyed on (e.g. `RunInstances`, `instances.insert`). */
  action: string;
  /** Whether the action changes state (only those are dropped after they have taken effect). */
  mutating: boolean;
  /** The error refusing the request before any fault (missing credentials, unknown route), if any. */
  refusal(): E | undefined;
  /** The API's answer to a throttled request. */
  throttled(): E;
  /** The API's answer to an injected server error. */
  serverError(): E;
  /** Whether `err` is one of the API's errors (answered as such) rather than a bug (rethrown). */
  isApiError(err: unknown): err is E;
  /** Runs the action and returns what to answer with. */
  dispatch(): unknown;
  /** Writes an error answer. */
  fail(err: E): void;
  /** Writes the success answer for what `dispatch` returned. */
  succeed(result: unknown): void;
}

/**
 * The request handling the EC2 and Compute test servers share: wait out the injected latency, refuse
 * unauthenticated or unroutable requests, then throttle or 5xx-fail as `faults` decides, run the action and
 * either answer or, for a `drop` fault, cut the connection after the action has taken effect (so a retry
 * must be idempotent).
 */
export async function answerWithFaults<E>(
  faults: Faults,
  socket: Socket,
  x: FaultyExchange<E>,
): Promise<void> {
  await faults.delay();
  const refusal = x.refusal();
  if (refusal !== undefined) return x.fail(refusal);
  const fault = faults.decide(x.action, x.mutating);
  if (fault === 'throttle' || fault === 'server-error') {
    x.call.fault = fault;
    return x.fail(fault === 'throttle' ? x.throttled() : x.serverError());
  }
  let result: unknown;
  try {
    result = await x.dispatch();
  } catch (err) {
    if (x.isApiError(err)) return x.fail(err);
    throw err;
  }
  if (fault === 'drop') {
    x.call.fault = fault;
    socket.destroy();
    return;
  }
  x.succeed(result);
}
