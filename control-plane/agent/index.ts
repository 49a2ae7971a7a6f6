export { type AgentHandle, type AgentOptions, runAgent } from './run-agent.js';
