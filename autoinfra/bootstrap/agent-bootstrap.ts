import { InfrabaseError } from '../../engine/index.js';

/**
 * What a cloud node needs to start its agent: where the control plane is, who it is, and a short-lived join
 * token. Deliberately nothing else: no cloud credentials, no WireGuard private key (the node generates its
 * own), no API token with more rights than joining.
 */
export interface AgentBootstrap {
  /** The control plane's URL as seen from the node, e.g. `https://203.0.113.10:7420`. */
  readonly controlPlaneUrl: string;
  /** The `sys_nodes.id` of this machine. */
  readonly nodeId: string;
  /** The short-lived join token (16–512 characters of base64url/base64 and `.~-`). */
  readonly joinToken: string;
  /** When the join token expires, ms since the epoch; written for the agent's error message. */
  readonly joinTokenExpiresAt?: number;
  /** Heartbeat period until the control plane's join reply says otherwise, ms. Default: the agent's (2000). */
  readonly heartbeatIntervalMs?: number;
  /** TCP port the agent serves its API and `/metrics` on; 0 or absent: a free one the agent picks. */
  readonly agentPort?: number;
  /** npm package spec to install, default `infrabase@latest`. */
  readonly agentPackage?: string;
  /** Node.js version to install from nodejs.org, default `20.19.5`. */
  readonly nodeVersion?: string;
  /** Config `mesh.mode` for the agent, default `auto`. */
  readonly meshMode?: 'auto' | 'on' | 'off';
}

/** Paths on the node. */
export const AGENT_CONFIG_PATH = '/etc/infrabase/agent.yaml';
export const AGENT_DATA_DIR = '/var/lib/infrabase';
export const AGENT_UNIT_PATH = '/etc/systemd/system/infrabase-agent.service';
export const DEFAULT_NODE_VERSION = '20.19.5';

/** The Debian packages a node installs before the agent: WireGuard, and what fetching Node.js needs. */
export const AGENT_PACKAGES: readonly string[] = ['wireguard-tools', 'curl', 'ca-certificates', 'xz-utils'];

const NODE_ID = /^[a-z0-9-]{1,63}$/;
const TOKEN = /^[A-Za-z0-9._~+/=-]{16,512}$/;
const PACKAGE =
  /^(@[a-z0-9._-]+\/)?[a-z0-9._-]+(@[A-Za-z0-9._^~<>=-]+)?$|^https:\/\/[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]+\.tgz$/;
const VERSION = /^\d+\.\d+\.\d+$/;

/**
 * Validates a bootstrap spec so that every value can be placed in YAML and shell without escaping surprises.
 * @throws InfrabaseError `INVALID_ARGUMENT` naming the field, its value (never the token's) and what is accepted.
 */
export function validateAgentBootstrap(
  spec: AgentBootstrap,
): Required<Omit<AgentBootstrap, 'joinTokenExpiresAt' | 'heartbeatIntervalMs' | 'agentPort'>> &
  Pick<AgentBootstrap, 'joinTokenExpiresAt' | 'heartbeatIntervalMs' | 'agentPort'> {
  let url: URL;
  try {
    url = new URL(spec.controlPlaneUrl);
  } catch {
    url = new URL('invalid:');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || /[\s'"\\`$]/.test(spec.controlPlaneUrl)) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `controlPlaneUrl '${spec.controlPlaneUrl}' is not an http(s) URL such as https://203.0.113.10:7420`,
    );
  }
  if (url.username || url.password) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      'controlPlaneUrl must not carry credentials; use the join token',
    );
  }
  if (!NODE_ID.test(spec.nodeId)) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `nodeId '${spec.nodeId}' must be 1-63 characters of a-z, 0-9 and '-'`,
    );
  }
  if (!TOKEN.test(spec.joinToken)) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `joinToken (${spec.joinToken.length} characters) must be 16-512 characters of A-Z a-z 0-9 . _ ~ + / = -`,
    );
  }
  for (const k of ['joinTokenExpiresAt', 'heartbeatIntervalMs'] as const) {
    const v = spec[k];
    if (v !== undefined && (!Number.isSafeInteger(v) || v <= 0)) {
      throw new InfrabaseError('INVALID_ARGUMENT', `${k} ${v} must be a positive integer of ms`);
    }
  }
  const port = spec.agentPort;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new InfrabaseError('INVALID_ARGUMENT', `agentPort ${port} must be an integer from 0 to 65535`);
  }
  const agentPackage = spec.agentPackage ?? 'infrabase@latest';
  if (!PACKAGE.test(agentPackage)) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `agentPackage '${agentPackage}' is not an npm package spec (name@version) or an https URL of a .tgz`,
    );
  }
  const nodeVersion = spec.nodeVersion ?? DEFAULT_NODE_VERSION;
  if (!VERSION.test(nodeVersion)) {
    throw new InfrabaseError('INVALID_ARGUMENT', `nodeVersion '${nodeVersion}' must be x.y.z, e.g. 20.19.5`);
  }
  const meshMode = spec.meshMode ?? 'auto';
  if (!['auto', 'on', 'off'].includes(meshMode)) {
    throw new InfrabaseError('INVALID_ARGUMENT', `meshMode '${meshMode}' must be one of: auto, on, off`);
  }
  return { ...spec, controlPlaneUrl: url.toString().replace(/\/$/, ''), agentPackage, nodeVersion, meshMode };
}

/**
 * The agent's configuration file (YAML, read by `infrabase agent --config`): `dataDir`, and under `agent`
 * `nodeId`, `controlPlaneUrl`, `joinToken`, `joinTokenExpiresAt` (ms), `heartbeatIntervalMs` (ms) and `port`
 * (a non-zero `agentPort`) when given; `mesh.mode`.
 */
export function agentConfigDocument(spec: AgentBootstrap): Record<string, unknown> {
  const v = validateAgentBootstrap(spec);
  return {
    dataDir: AGENT_DATA_DIR,
    agent: {
      nodeId: v.nodeId,
      controlPlaneUrl: v.controlPlaneUrl,
      joinToken: v.joinToken,
      ...(v.joinTokenExpiresAt !== undefined ? { joinTokenExpiresAt: v.joinTokenExpiresAt } : {}),
      ...(v.heartbeatIntervalMs !== undefined ? { heartbeatIntervalMs: v.heartbeatIntervalMs } : {}),
      ...(v.agentPort ? { port: v.agentPort } : {}),
    },
    mesh: { mode: v.meshMode },
  };
}

/** The systemd unit that runs the agent. */
export function agentUnit(): string {
  return [
    '[Unit]',
    'Description=infrabase node agent',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `Environment=INFRABASE_CONFIG=${AGENT_CONFIG_PATH}`,
    `ExecStart=/usr/local/bin/infrabase agent --config ${AGENT_CONFIG_PATH}`,
    'Restart=always',
    'RestartSec=2',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** Quotes a value for POSIX sh (single quotes, embedded quotes closed and escaped). */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The commands that install Node.js (official tarball from nodejs.org for the machine's architecture) and
 * the agent package, then start the unit. Shared by cloud-init `runcmd` and the GCE startup script.
 */
export function installCommands(spec: AgentBootstrap): string[] {
  const v = validateAgentBootstrap(spec);
  const dist = `node-v${v.nodeVersion}-linux-$arch`;
  return [
    'set -eu',
    'arch=$(uname -m); case "$arch" in x86_64) arch=x64;; aarch64) arch=arm64;; esac',
    `if ! command -v node >/dev/null || ! node --version | grep -q '^v${v.nodeVersion.split('.')[0]}\\.'; then ` +
      `curl -fsSL "https://nodejs.org/dist/v${v.nodeVersion}/${dist}.tar.xz" -o /tmp/node.tar.xz && ` +
      'tar -xJf /tmp/node.tar.xz -C /usr/local --strip-components=1 && rm -f /tmp/node.tar.xz; fi',
    `npm install --global --no-audit --no-fund ${shellQuote(v.agentPackage)}`,
    `install -d -m 0700 ${AGENT_DATA_DIR}`,
    'systemctl daemon-reload',
    'systemctl enable --now infrabase-agent.service',
  ];
}
