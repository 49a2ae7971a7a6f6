import { isIPv4, isIPv6 } from 'node:net';

/**
 * Whether `hostname` names this host only: a loopback address (127.0.0.0/8, `::1`, `::ffff:127.x.y.z`),
 * `localhost` or a `*.localhost` name, or the wildcard address (`0.0.0.0`, `::`). A URL's IPv6 host may come
 * in brackets. Such an address is reachable from no other machine, so it can be neither a mesh endpoint nor the
 * URL a cloud node joins at.
 */
export function isLocalOnlyHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIPv4(host)) return host.startsWith('127.') || host === '0.0.0.0';
  if (isIPv6(host)) return host === '::1' || host === '::' || /^::ffff:127\./.test(host);
  return false;
}
