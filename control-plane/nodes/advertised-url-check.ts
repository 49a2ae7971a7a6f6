import { isIPv4, isIPv6 } from 'node:net';
import type { Config } from '../config/index.js';

/** Whether `hostname` (a URL's, IPv6 possibly in brackets) names this host only: loopback or the wildcard. */
function isLocalOnly(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIPv4(host)) return host.startsWith('127.') || host === '0.0.0.0';
  if (isIPv6(host)) return host === '::1' || host === '::' || /^::ffff:127\./.test(host);
  return false;
}

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
  if (!isLocalOnly(new URL(advertised).hostname)) return undefined;
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
