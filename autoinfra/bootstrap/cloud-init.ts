import { stringify } from 'yaml';
import {
  AGENT_CONFIG_PATH,
  AGENT_PACKAGES,
  AGENT_UNIT_PATH,
  type AgentBootstrap,
  agentConfigDocument,
  agentUnit,
  installCommands,
} from './agent-bootstrap.js';

/**
 * Renders cloud-init user data (`#cloud-config`, cloud-init docs "Cloud config examples"): installs
 * `wireguard-tools`, writes the agent's config (mode 0600, holding the join token) and the systemd unit, then
 * installs Node.js and the agent and starts it. Pass the string as `NodeSpec.userData` (EC2 `UserData`).
 * @throws InfrabaseError `INVALID_ARGUMENT` from {@link validateAgentBootstrap}.
 */
export function renderCloudInit(spec: AgentBootstrap): string {
  const doc = {
    package_update: true,
    packages: [...AGENT_PACKAGES],
    write_files: [
      {
        path: AGENT_CONFIG_PATH,
        permissions: '0600',
        owner: 'root:root',
        content: stringify(agentConfigDocument(spec)),
      },
      { path: AGENT_UNIT_PATH, permissions: '0644', owner: 'root:root', content: agentUnit() },
    ],
    runcmd: [['sh', '-c', installCommands(spec).join('\n')]],
  };
  return `#cloud-config\n${stringify(doc, { lineWidth: 0 })}`;
}
