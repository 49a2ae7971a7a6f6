export {
  AGENT_LOCK_FILE,
  AGENT_SECRET_FILES,
  type AgentLock,
  acquireAgentLock,
  isAgentAlive,
  liveAgentPid,
  readAgentLock,
} from './agent-lock.js';
export { INSTANCE_FILE, type InstanceRecord, readInstanceRecord } from './instance-record.js';
export {
  defaultAgentScript,
  type LocalBootConfig,
  LocalProvider,
  type LocalProviderOptions,
  localInstanceId,
} from './local-provider.js';
