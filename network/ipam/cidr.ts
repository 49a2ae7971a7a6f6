import { InfrabaseError } from '../../engine/index.js';

/** An IPv4 network as integers: `network` and `broadcast` addresses and the prefix length. */
export interface Ipv4Cidr {
  /** The CIDR as given, normalised (`10.88.0.0/16`). */
  readonly text: string;
  /** Network address as an unsigned 32-bit integer. */
  readonly network: number;
  /** Broadcast (last) address as an unsigned 32-bit integer. */
  readonly broadcast: number;
  readonly prefix: number;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/**
 * Parses a dotted-quad IPv4 address into an unsigned 32-bit integer.
 * @throws InfrabaseError `INVALID_ARGUMENT` naming the value when it is not four decimal octets 0–255.
 */
export function ipv4ToInt(address: string): number {
  const parts = address.split('.');
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `'${address}' is not an IPv4 address; expected four decimal octets 0-255 such as 10.88.0.1`,
    );
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** Formats an unsigned 32-bit integer as a dotted-quad IPv4 address. */
export function intToIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/**
 * Parses an IPv4 CIDR such as `10.88.0.0/16`. The address must be the network address (no host bits set),
 * so a typo such as `10.88.0.1/16` is rejected instead of silently widened.
 * @throws InfrabaseError `INVALID_ARGUMENT` with the offending value and what is accepted.
 */
export function parseCidr(cidr: string): Ipv4Cidr {
  const match = /^([^/]+)\/(\d{1,2})$/.exec(cidr.trim());
  if (!match) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `'${cidr}' is not an IPv4 CIDR; expected <address>/<prefix> such as 10.88.0.0/16`,
    );
  }
  const prefix = Number(match[2]);
  if (prefix > 32) {
    throw new InfrabaseError('INVALID_ARGUMENT', `CIDR '${cidr}' has prefix /${prefix}; accepted 0-32`);
  }
  const address = ipv4ToInt(match[1]);
  const size = 2 ** (32 - prefix);
  const network = Math.floor(address / size) * size;
  if (network !== address) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `CIDR '${cidr}' has host bits set; did you mean ${intToIpv4(network)}/${prefix}?`,
    );
  }
  return { text: `${intToIpv4(network)}/${prefix}`, network, broadcast: network + size - 1, prefix };
}

/** Whether `address` (an unsigned 32-bit integer) lies inside `cidr`, network and broadcast included. */
export function cidrContains(cidr: Ipv4Cidr, address: number): boolean {
  return address >= cidr.network && address <= cidr.broadcast;
}
