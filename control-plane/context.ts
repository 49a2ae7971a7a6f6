import { resolve } from 'node:path';
import { NodeStore, NodeTokens } from '../autoinfra/index.js';
import { MeshMembership } from '../network/index.js';
import type { ControlPlaneBase, ControlPlaneContext } from './service.js';

/**
 * Builds the one context of a control plane from its base: the node tokens (key in the data dir, the
 * configured node-token TTL), the `sys_nodes` store and the mesh membership (over `config.mesh`, key switches
 * led and followed by two heartbeat intervals). Every route, service and module of that control plane gets
 * this object, so each of these exists once per process.
 * @throws InfrabaseError `INVALID_ARGUMENT` for an invalid `mesh.cidr`.
 */
export function createControlPlaneContext(base: ControlPlaneBase): ControlPlaneContext {
  const { mesh, reconciler } = base.config;
  const nodes = new NodeStore(base.db);
  return {
    ...base,
    nodeTokens: NodeTokens.fromDataDir(resolve(base.config.dataDir), reconciler.nodeTokenTtlMs),
    nodes,
    mesh: new MeshMembership({
      db: base.db,
      nodes,
      clock: base.clock,
      mode: mesh.mode,
      cidr: mesh.cidr,
      topology: mesh.topology,
      listenPort: mesh.listenPort,
      keyLeadMs: 2 * reconciler.heartbeatIntervalMs,
      keyGraceMs: 2 * reconciler.heartbeatIntervalMs,
    }),
  };
}
