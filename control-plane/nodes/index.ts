export { drainAgent } from './drain.js';
export { bootConfig, createNodesModule, type NodesModuleOptions, nodesModule } from './module.js';
export {
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
