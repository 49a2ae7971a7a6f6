import { stringify } from 'yaml';
import {
  AGENT_CONFIG_PATH,
  AGENT_DATA_DIR,
  AGENT_PACKAGES,
  AGENT_UNIT_PATH,
  type AgentBootstrap,
  agentConfigDocument,
  agentUnit,
  installCommands,
} from './agent-bootstrap.js';

/** The marker file that makes the startup script a no-op on later boots (the join token is spent by then). */
export const BOOTSTRAP_MARKER = `${AGENT_DATA_DIR}/.bootstrapped`;

/**
 * Renders a GCE startup script (metadata key `startup-script`; runs as root on every boot, so it does its
 * work once, guarded by {@link BOOTSTRAP_MARKER}): installs `wireguard-tools`, writes the agent config (0600,
 * created under umask 077) and the systemd unit with quoted heredocs, then installs Node.js and the agent and
 * starts it.
 * @throws InfrabaseError `INVALID_ARGUMENT` from {@link validateAgentBootstrap}.
 */
export function renderGceStartupScript(spec: AgentBootstrap): string {
  const config = stringify(agentConfigDocument(spec));
  return [
    '#!/bin/sh',
    '# infrabase node bootstrap (GCE startup script)',
    `[ -f ${BOOTSTRAP_MARKER} ] && exit 0`,
    'set -eu',
    'export DEBIAN_FRONTEND=noninteractive',
    'apt-get update -q',
    `apt-get install -y -q ${AGENT_PACKAGES.join(' ')}`,
    'install -d -m 0755 /etc/infrabase',
    `(umask 077 && cat > ${AGENT_CONFIG_PATH} <<'INFRABASE_AGENT_CONFIG'`,
    `${config.trimEnd()}`,
    'INFRABASE_AGENT_CONFIG',
    ')',
    `cat > ${AGENT_UNIT_PATH} <<'INFRABASE_AGENT_UNIT'`,
    agentUnit().trimEnd(),
    'INFRABASE_AGENT_UNIT',
    ...installCommands(spec).filter((c) => c !== 'set -eu'),
    `touch ${BOOTSTRAP_MARKER}`,
    '',
  ].join('\n');
}
