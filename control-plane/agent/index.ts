export { NODE_TOKEN_FILE, NodeCredentials } from './node-credentials.js';
export { readBootConfig } from './process.js';
export { type AgentHandle, type AgentOptions, runAgent } from './run-agent.js';
