import { InfrabaseError } from '../../engine/index.js';
import { type Ipv4Cidr, intToIpv4, ipv4ToInt, parseCidr } from './cidr.js';

/** The smallest network that leaves a node address after network, hub and broadcast: a /30 has exactly one. */
export const MAX_MESH_PREFIX = 30;

/**
 * The addresses of a mesh CIDR as IPAM sees them: the first host address is reserved for the control plane
 * (the hub), nodes get `firstNode … lastNode`; network and broadcast addresses are never handed out.
 */
export interface MeshPool {
  readonly cidr: Ipv4Cidr;
  /** The hub's (control plane's) address, e.g. `10.88.0.1` for `10.88.0.0/16`. */
  readonly hub: string;
  /** First and last address a node may get, as unsigned 32-bit integers. */
  readonly firstNode: number;
  readonly lastNode: number;
  /** How many node addresses the pool holds. */
  readonly size: number;
}

/**
 * Builds the pool for a mesh CIDR.
 * @throws InfrabaseError `INVALID_ARGUMENT` when the CIDR does not parse or is smaller than a /30 (no room
 *   for a node beside the network, hub and broadcast addresses).
 */
export function meshPool(cidrText: string): MeshPool {
  const cidr = parseCidr(cidrText);
  if (cidr.prefix > MAX_MESH_PREFIX) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `mesh CIDR '${cidrText}' is too small: a /${cidr.prefix} leaves no node address beside the network, ` +
        `hub and broadcast addresses; accepted prefixes /0-/${MAX_MESH_PREFIX}, e.g. 10.88.0.0/16`,
    );
  }
  const firstNode = cidr.network + 2;
  const lastNode = cidr.broadcast - 1;
  return { cidr, hub: intToIpv4(cidr.network + 1), firstNode, lastNode, size: lastNode - firstNode + 1 };
}

/**
 * Picks the next node address, next-fit: the first free address after `cursor` (the address handed out
 * last), wrapping to the start of the pool once the end is reached. So addresses are handed out in order,
 * a released address is reused only after every other address has been handed out since (the one released
 * longest ago in address order comes first), and the result depends only on the arguments.
 *
 * @param inUse addresses currently held by nodes (unsigned 32-bit integers); values outside the pool are ignored.
 * @param cursor the last address handed out, or `null` for a fresh pool.
 * @returns the chosen address as an unsigned 32-bit integer.
 * @throws InfrabaseError `INSUFFICIENT_CAPACITY` (not retryable) when every node address is in use.
 */
export function nextMeshAddress(pool: MeshPool, inUse: ReadonlySet<number>, cursor: number | null): number {
  const start =
    cursor === null || cursor < pool.firstNode || cursor >= pool.lastNode ? pool.firstNode : cursor + 1;
  for (let i = 0; i < pool.size; i++) {
    const candidate = pool.firstNode + ((start - pool.firstNode + i) % pool.size);
    if (!inUse.has(candidate)) return candidate;
  }
  throw new InfrabaseError(
    'INSUFFICIENT_CAPACITY',
    `mesh CIDR ${pool.cidr.text} is exhausted: all ${pool.size} node addresses are in use; ` +
      'release addresses by removing nodes, or configure a larger mesh.cidr',
    { retryable: false, details: { cidr: pool.cidr.text, size: pool.size } },
  );
}

/**
 * An in-memory allocator over {@link nextMeshAddress}, for callers that keep IPAM state themselves (tests,
 * the control plane's cache). Not thread-safe across processes; the database shell is.
 */
export class MeshAllocator {
  readonly pool: MeshPool;
  private readonly inUse = new Set<number>();
  private cursor: number | null = null;

  constructor(cidr: string) {
    this.pool = meshPool(cidr);
  }

  /** Hands out the next address as dotted quad. @throws see {@link nextMeshAddress}. */
  allocate(): string {
    const address = nextMeshAddress(this.pool, this.inUse, this.cursor);
    this.inUse.add(address);
    this.cursor = address;
    return intToIpv4(address);
  }

  /**
   * Returns an address to the pool.
   * @throws InfrabaseError `NOT_FOUND` when the address is not currently allocated.
   */
  release(address: string): void {
    if (!this.inUse.delete(ipv4ToInt(address))) {
      throw new InfrabaseError(
        'NOT_FOUND',
        `mesh address ${address} is not allocated in ${this.pool.cidr.text}`,
      );
    }
  }

  get allocatedCount(): number {
    return this.inUse.size;
  }
}
