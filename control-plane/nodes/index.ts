export { cloudReachabilityWarning } from './advertised-url-check.js';
export { nodeHealthRoute } from './health-route.js';
export { createNodesModule, type NodesModuleOptions } from './module.js';
export { nodeRoutes, PUBLIC_NODE_ROUTES } from './routes.js';
