import { isInfrabaseError } from '../../engine/index.js';
import type { CloudProvider, Instance, NodeSpec } from '../provider.js';

/**
 * Provider operations, as in the CloudProvider interface (`listOwned` is `list_owned`): the `operation` label
 * of the metrics module's cloud API metrics, which take their label values from here.
 */
export type CloudOperation = 'create' | 'delete' | 'get' | 'list_owned';
/** `ok`, or the class of the InfrabaseError code a call failed with; anything else is `error`. */
export type CloudOutcome =
  | 'ok'
  | 'throttled'
  | 'insufficient_capacity'
  | 'not_found'
  | 'unavailable'
  | 'timeout'
  | 'error';

/**
 * Where the calls are counted: the shape of the metrics module's `cloudMetrics(registry)` (a prom-client
 * counter and histogram), described here so autoinfra does not depend on the metrics module.
 */
export interface CloudCallMetrics {
  readonly calls: {
    inc(labels: { provider: string; operation: CloudOperation; outcome: CloudOutcome }): void;
  };
  readonly duration: {
    observe(labels: { provider: string; operation: CloudOperation }, seconds: number): void;
  };
}

/** The outcome label of a provider call that threw `err`. */
export function cloudOutcomeOf(err: unknown): CloudOutcome {
  if (!isInfrabaseError(err)) return 'error';
  switch (err.code) {
    case 'THROTTLED':
      return 'throttled';
    case 'INSUFFICIENT_CAPACITY':
      return 'insufficient_capacity';
    case 'NOT_FOUND':
      return 'not_found';
    case 'UNAVAILABLE':
      return 'unavailable';
    case 'TIMEOUT':
      return 'timeout';
    default:
      return 'error';
  }
}

/**
 * Wraps a provider so every API call is counted by provider, operation and outcome and timed (seconds, from
 * `now`, default `performance.now`, in ms). Results and errors pass through unchanged. Wrap inside any
 * rate limiter, so waiting for a token is not counted as API latency.
 *
 * @example
 * const aws = meteredProvider(awsProvider, cloudMetrics(registry));
 */
export function meteredProvider(
  inner: CloudProvider,
  metrics: CloudCallMetrics,
  now: () => number = () => performance.now(),
): CloudProvider {
  const provider = inner.name;
  const timed = async <T>(operation: CloudOperation, call: () => Promise<T>): Promise<T> => {
    const start = now();
    let outcome: CloudOutcome = 'ok';
    try {
      return await call();
    } catch (err) {
      outcome = cloudOutcomeOf(err);
      throw err;
    } finally {
      metrics.calls.inc({ provider, operation, outcome });
      metrics.duration.observe({ provider, operation }, (now() - start) / 1000);
    }
  };
  return {
    name: provider,
    bootFormat: inner.bootFormat,
    create: (spec: NodeSpec, token: string, signal: AbortSignal): Promise<Instance> =>
      timed('create', () => inner.create(spec, token, signal)),
    delete: (instanceId: string, signal: AbortSignal): Promise<void> =>
      timed('delete', () => inner.delete(instanceId, signal)),
    get: (instanceId: string, signal: AbortSignal): Promise<Instance> =>
      timed('get', () => inner.get(instanceId, signal)),
    listOwned: (signal: AbortSignal): Promise<Instance[]> =>
      timed('list_owned', () => inner.listOwned(signal)),
  };
}
