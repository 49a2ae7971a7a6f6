import type { CloudProvider, Instance, NodeSpec } from '../provider.js';
import type { TokenBucket } from './token-bucket.js';

/**
 * Wraps a provider so every API call first takes a token from `bucket` (one bucket per provider): the
 * client-side rate limit that keeps the reconciler under the cloud's own throttling. Cross-cutting, so it
 * wraps any provider instead of living in each one.
 */
export function rateLimitedProvider(inner: CloudProvider, bucket: TokenBucket): CloudProvider {
  return {
    name: inner.name,
    bootFormat: inner.bootFormat,
    async create(spec: NodeSpec, token: string, signal: AbortSignal): Promise<Instance> {
      await bucket.take(signal);
      return inner.create(spec, token, signal);
    },
    async delete(instanceId: string, signal: AbortSignal): Promise<void> {
      await bucket.take(signal);
      return inner.delete(instanceId, signal);
    },
    async get(instanceId: string, signal: AbortSignal): Promise<Instance> {
      await bucket.take(signal);
      return inner.get(instanceId, signal);
    },
    async listOwned(signal: AbortSignal): Promise<Instance[]> {
      await bucket.take(signal);
      return inner.listOwned(signal);
    },
  };
}
