import type { Registry } from 'prom-client';

const cache = new WeakMap<Registry, Map<string, unknown>>();

/**
 * Declares a module's metrics once per registry: later calls with the same registry return the same
 * objects (prom-client throws when a name is registered twice), so several users of one registry can each
 * call a declaration factory.
 * @internal
 */
export function perRegistry<T>(registry: Registry, key: string, declare: () => T): T {
  let byKey = cache.get(registry);
  if (!byKey) {
    byKey = new Map();
    cache.set(registry, byKey);
  }
  if (!byKey.has(key)) byKey.set(key, declare());
  return byKey.get(key) as T;
}
