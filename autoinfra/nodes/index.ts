/**
 * Node lifecycle: the one writer of `sys_nodes` (its store and named transitions), the node tokens (join,
 * node, control), the boot data a launch carries and the drain request before termination.
 */
export { agentEndpointSql, agentPort } from './agent-endpoint.js';
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
export {
  type AgentReport,
  type AuthorizedNode,
  type NodeCredentialsReply,
  NodeLifecycle,
} from './node-lifecycle.js';
export { NODE_INSERT_COLUMNS, type NodeRow } from './node-row.js';
export {
  heartbeatFresh,
  type NodeStatusChange,
  type NodeStatusEvent,
  type NodeStatusFacts,
  nextNodeStatus,
  type ObservedInstance,
} from './node-status.js';
export { type InstanceAddresses, type JoinRecord, NodeStore } from './node-store.js';
export {
  CONTROL_TOKEN_TTL_MS,
  NODE_TOKEN_KEY_FILE,
  type NodeTokenClaims,
  type NodeTokenPurpose,
  NodeTokens,
} from './node-tokens.js';
