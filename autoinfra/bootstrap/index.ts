/** Bootstrap of cloud nodes: cloud-init user data and the GCE startup script that start the agent. */
export {
  AGENT_CONFIG_PATH,
  AGENT_DATA_DIR,
  AGENT_PACKAGES,
  AGENT_UNIT_PATH,
  type AgentBootstrap,
  agentConfigDocument,
  agentUnit,
  DEFAULT_NODE_VERSION,
  installCommands,
  shellQuote,
  validateAgentBootstrap,
} from './agent-bootstrap.js';
export { renderCloudInit } from './cloud-init.js';
export { BOOTSTRAP_MARKER, renderGceStartupScript } from './gce-startup.js';
