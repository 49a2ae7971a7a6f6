export { cloudReachabilityWarning } from './advertised-url-check.js';
export {
  type BootDataOptions,
  bootData,
  DEFAULT_JOIN_TOKEN_TTL_MS,
  joinTokenExpiry,
  type NodeBoot,
  renderBootData,
} from './boot-data.js';
export { type ControlTokenCheck, verifyControlToken } from './control-token.js';
export { drainAgent } from './drain.js';
export { hubInterfaceName, MeshHubService } from './mesh-hub.js';
export { HUB_ID, type HubState, MeshMembership, type MeshMembershipOptions } from './mesh-membership.js';
export type {
  MeshHeartbeatReply,
  MeshHeartbeatReport,
  MeshJoinReply,
  MeshJoinReport,
} from './mesh-protocol.js';
export { createNodesModule, type NodesModuleOptions } from './module.js';
export {
  CONTROL_TOKEN_TTL_MS,
  NODE_TOKEN_KEY_FILE,
  type NodeTokenClaims,
  type NodeTokenPurpose,
  NodeTokens,
} from './node-tokens.js';
export {
  type HeartbeatReply,
  type JoinReply,
  type NodeReport,
  type NodeRoutesOptions,
  nodeRoutes,
  PUBLIC_NODE_ROUTES,
} from './routes.js';
