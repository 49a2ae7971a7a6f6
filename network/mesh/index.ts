/**
 * Mesh membership: who is in the WireGuard mesh (following `sys_nodes`), each member's peer list, key rotation
 * steps, and the control plane's hub interface.
 */
export { hubInterfaceName, type MeshHubContext, MeshHubService } from './mesh-hub.js';
export {
  HUB_ID,
  type HubState,
  MeshMembership,
  type MeshMembershipOptions,
  type MeshNode,
  type MeshNodeWriter,
} from './mesh-membership.js';
export type {
  MeshHeartbeatReply,
  MeshHeartbeatReport,
  MeshJoinReply,
  MeshJoinReport,
} from './mesh-protocol.js';
