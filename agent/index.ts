export type { ShardModel } from './model-routes.js';
export { NODE_TOKEN_FILE, NodeCredentials } from './node-credentials.js';
export { type AgentProcessOptions, readBootConfig, runAgentProcess } from './process.js';
export { type AgentHandle, type AgentOptions, runAgent } from './run-agent.js';
