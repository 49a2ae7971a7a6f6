import { isLocalOnlyHost } from '../../network/index.js';
import type { Config } from '../config/index.js';

/**
 * The warning to give at start when a cloud provider (`providers.aws` / `providers.gcp`) is enabled while the
 * URL nodes are told to join at (`advertiseUrl`, else the listen URL `listenUrl`) is loopback or the wildcard
 * address: cloud instances could never reach it, so they would boot and never join. `undefined` when no
 * cloud provider is enabled or the URL names another host.
 *
 * @example
 * cloudReachabilityWarning(config, 'http://127.0.0.1:7420')
 * // 'providers.aws is enabled but nodes are told to join at http://127.0.0.1:7420, a loopback address …'
 */
export function cloudReachabilityWarning(config: Config, listenUrl: string): string | undefined {
  const clouds = (['aws', 'gcp'] as const).filter((name) => config.providers[name].enabled);
  if (clouds.length === 0) return undefined;
  const advertised = config.advertiseUrl ?? listenUrl;
  if (!isLocalOnlyHost(new URL(advertised).hostname)) return undefined;
  const which = clouds.map((c) => `providers.${c}`).join(' and ');
  const source = config.advertiseUrl
    ? 'advertiseUrl'
    : `the listen address (host ${config.host}; advertiseUrl unset)`;
  return (
    `${which} ${clouds.length > 1 ? 'are' : 'is'} enabled but nodes are told to join at ${advertised}, ` +
    `a loopback address from ${source}: cloud instances cannot reach it and would never join. ` +
    'Set advertiseUrl to a URL they can reach (e.g. https://cp.example.com:7420).'
  );
}
