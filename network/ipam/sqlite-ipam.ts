import { type Database, type EngineExtension, fromSqliteError, InfrabaseError } from '../../engine/index.js';
import { type MeshPool, meshPool, nextMeshAddress } from './allocator.js';
import { cidrContains, intToIpv4, ipv4ToInt } from './cidr.js';

/**
 * The IPAM cursor: the address handed out last per mesh CIDR, so next-fit allocation survives restarts and
 * released addresses are not reused before the rest of the pool. Addresses in use are `sys_nodes.mesh_ip`
 * (unique index `sys_nodes_mesh_ip`).
 */
export const MESH_IPAM_SCHEMA = `
CREATE TABLE IF NOT EXISTS sys_mesh_ipam (
  cidr TEXT PRIMARY KEY NOT NULL,
  last_allocated TEXT NOT NULL
) STRICT;
`;

/** Installs {@link MESH_IPAM_SCHEMA} on the connection that owns migrations. */
export const meshIpamExtension: EngineExtension = { name: 'mesh-ipam', schema: MESH_IPAM_SCHEMA };

/**
 * Where the IPAM records the address it chose: `sys_nodes.mesh_ip`, a column of a table another module owns
 * (autoinfra's `NodeStore` implements this), called inside the IPAM's transaction on the same connection.
 */
export interface MeshAddressWriter {
  /** Sets node `nodeId`'s `mesh_ip` to `address`. */
  assignMeshAddress(nodeId: string, address: string): void;
  /** Sets node `nodeId`'s `mesh_ip` to NULL; a no-op when it has none. */
  releaseMeshAddress(nodeId: string): void;
}

/**
 * IPAM against the catalog: chooses a node's `sys_nodes.mesh_ip` and has the table's owner record it inside one
 * short immediate transaction, so two writers can never hand out the same address (and the unique index would
 * reject it if they did). The cursor table `sys_mesh_ipam` is its own.
 */
export class SqliteMeshIpam {
  readonly pool: MeshPool;

  /**
   * @param cidr the mesh CIDR (config `mesh.cidr`, default `10.88.0.0/16`).
   * @param nodes records the chosen address in `sys_nodes` (on `db`).
   * @throws InfrabaseError `INVALID_ARGUMENT` for an invalid or too small CIDR.
   */
  constructor(
    private readonly db: Database,
    cidr: string,
    private readonly nodes: MeshAddressWriter,
  ) {
    this.pool = meshPool(cidr);
    db.exec(MESH_IPAM_SCHEMA);
  }

  /** The control plane's own mesh address (the first host address of the CIDR). */
  get hubAddress(): string {
    return this.pool.hub;
  }

  /**
   * Gives node `nodeId` a mesh address, or returns the one it already has inside the CIDR (idempotent, so a
   * repeated join gets the same address).
   * @throws InfrabaseError `NOT_FOUND` when no such node row exists; `INSUFFICIENT_CAPACITY` when the CIDR is
   *   exhausted; `BUSY` when the database lock is not obtained within the busy timeout.
   */
  allocate(nodeId: string): string {
    const run = this.db.transaction((): string => {
      const row = this.db.prepare('SELECT mesh_ip FROM sys_nodes WHERE id = ?').get(nodeId) as
        | { mesh_ip: string | null }
        | undefined;
      if (!row) throw new InfrabaseError('NOT_FOUND', `node '${nodeId}' does not exist in sys_nodes`);
      if (row.mesh_ip !== null && this.inPool(row.mesh_ip)) return row.mesh_ip;
      const inUse = new Set<number>();
      for (const r of this.db.prepare('SELECT mesh_ip FROM sys_nodes WHERE mesh_ip IS NOT NULL').all() as {
        mesh_ip: string;
      }[]) {
        if (this.inPool(r.mesh_ip)) inUse.add(ipv4ToInt(r.mesh_ip));
      }
      const cursorRow = this.db
        .prepare('SELECT last_allocated FROM sys_mesh_ipam WHERE cidr = ?')
        .get(this.pool.cidr.text) as { last_allocated: string } | undefined;
      const cursor =
        cursorRow && this.inPool(cursorRow.last_allocated) ? ipv4ToInt(cursorRow.last_allocated) : null;
      const address = intToIpv4(nextMeshAddress(this.pool, inUse, cursor));
      this.nodes.assignMeshAddress(nodeId, address);
      this.db
        .prepare(
          'INSERT INTO sys_mesh_ipam (cidr, last_allocated) VALUES (?, ?) ' +
            'ON CONFLICT(cidr) DO UPDATE SET last_allocated = excluded.last_allocated',
        )
        .run(this.pool.cidr.text, address);
      return address;
    });
    try {
      return run.immediate();
    } catch (err) {
      throw fromSqliteError(err);
    }
  }

  /**
   * Returns node `nodeId`'s address to the pool (sets `mesh_ip` to NULL). Call it when the node is terminated,
   * also when its row is kept as history. Releasing a node without an address is a no-op.
   */
  release(nodeId: string): void {
    try {
      this.nodes.releaseMeshAddress(nodeId);
    } catch (err) {
      throw fromSqliteError(err);
    }
  }

  private inPool(address: string): boolean {
    try {
      const value = ipv4ToInt(address);
      return (
        cidrContains(this.pool.cidr, value) && value >= this.pool.firstNode && value <= this.pool.lastNode
      );
    } catch {
      return false;
    }
  }
}
