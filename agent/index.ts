export type { HeartbeatReply, JoinReply, NodeReport } from './node-api.js';
export { NODE_TOKEN_FILE, NodeCredentials } from './node-credentials.js';
export { agentPredictEnv, PREDICT_ENV, predictLimitsFromEnv } from './predict-env.js';
export { type AgentProcessOptions, readBootConfig, runAgentProcess } from './process.js';
export { type AgentHandle, type AgentOptions, runAgent } from './run-agent.js';
export { type AgentSqlPoolOptions, agentSqlPool } from './sql-pool.js';
