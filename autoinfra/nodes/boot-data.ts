import { InfrabaseError, VERSION } from '../../engine/index.js';
import { renderCloudInit, renderGceStartupScript } from '../bootstrap/index.js';
import type { BootFormat } from '../provider.js';
import type { NodeRow } from './node-row.js';
import type { NodeTokens } from './node-tokens.js';

/** The agent a cloud node installs: this build's version, so that agents and control plane match. */
const AGENT_PACKAGE = `infrabase@${VERSION}`;

/** Default lifetime of a join token, counted from the launch (`sys_nodes.launched_at`), in ms: 1 hour. */
export const DEFAULT_JOIN_TOKEN_TTL_MS = 3_600_000;

/** What a launched machine needs to start its agent and join: the inputs of every boot format. */
export interface NodeBoot {
  /** The control plane's URL as seen from the node. */
  readonly controlPlaneUrl: string;
  /** `sys_nodes.id`. */
  readonly nodeId: string;
  /** The launch's join token (single-use, expires at `joinTokenExpiresAt`). */
  readonly joinToken: string;
  /** ms since the epoch. */
  readonly joinTokenExpiresAt: number;
  /** ms. */
  readonly heartbeatIntervalMs: number;
  /** The port the agent listens on (`reconciler.agentPort`); 0 or absent: a free one. */
  readonly agentPort?: number;
  /** npm package spec a cloud node installs the agent from; default this build's, `infrabase@<VERSION>`. */
  readonly agentPackage?: string;
}

/**
 * When the join token of `row`'s current launch expires, ms: `launched_at` (set when the idempotency token was
 * written; `created_at` for a row launched before that column existed) + `ttlMs`. The same for every retry of
 * the launch, so its boot data stays byte-identical.
 */
export function joinTokenExpiry(row: NodeRow, ttlMs: number): number {
  const launched = row.launched_at ?? row.created_at;
  return launched + ttlMs;
}

/**
 * Renders a launch's boot data in `format`: `agent-json` → `{"controlPlaneUrl","joinToken",
 * "heartbeatIntervalMs"}` (and `"agentPort"` when not 0) (the local provider starts the agent itself), `cloud-config` → cloud-init user data
 * from `renderCloudInit`, `startup-script` → the GCE script from `renderGceStartupScript` (both install Node.js
 * and the agent of this build's version unless `agentPackage` says otherwise, write `/etc/infrabase/agent.yaml` and start `infrabase-agent.service`). Pure and
 * deterministic: equal inputs give equal bytes.
 * @throws InfrabaseError `INVALID_ARGUMENT` when a value cannot be placed in the format (see
 *   `validateAgentBootstrap`) or the format is unknown.
 */
export function renderBootData(format: BootFormat, boot: NodeBoot): string {
  switch (format) {
    case 'agent-json':
      return JSON.stringify({
        controlPlaneUrl: boot.controlPlaneUrl,
        joinToken: boot.joinToken,
        heartbeatIntervalMs: boot.heartbeatIntervalMs,
        ...(boot.agentPort ? { agentPort: boot.agentPort } : {}),
      });
    case 'cloud-config':
      return renderCloudInit({ agentPackage: AGENT_PACKAGE, ...boot });
    case 'startup-script':
      return renderGceStartupScript({ agentPackage: AGENT_PACKAGE, ...boot });
    default:
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `boot format '${String(format)}' is not one of: agent-json, cloud-config, startup-script`,
      );
  }
}

export interface BootDataOptions {
  readonly tokens: NodeTokens;
  /** The control plane's URL as seen from nodes (`advertiseUrl`, else the listen URL). */
  readonly controlPlaneUrl: () => string;
  /** ms. */
  readonly heartbeatIntervalMs: number;
  /** The port agents listen on; 0 or absent: each picks a free one. */
  readonly agentPort?: number;
  /** ms; default {@link DEFAULT_JOIN_TOKEN_TTL_MS}. */
  readonly joinTokenTtlMs?: number;
  /** The boot format of a row's provider (`CloudProvider.bootFormat`, default `agent-json`). */
  readonly formatOf: (provider: string) => BootFormat | undefined;
}

/**
 * The reconciler's `userData` callback: the boot data of launch `token` of `row`, in its provider's format,
 * carrying a join token bound to that launch. Same launch ⇒ byte-identical (idempotent cloud requests).
 */
export function bootData(options: BootDataOptions): (row: NodeRow, token: string) => string {
  const ttl = options.joinTokenTtlMs ?? DEFAULT_JOIN_TOKEN_TTL_MS;
  return (row, token) => {
    const expiresAt = joinTokenExpiry(row, ttl);
    return renderBootData(options.formatOf(row.provider) ?? 'agent-json', {
      controlPlaneUrl: options.controlPlaneUrl(),
      nodeId: row.id,
      joinToken: options.tokens.joinToken(row.id, token, expiresAt),
      joinTokenExpiresAt: expiresAt,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      agentPort: options.agentPort,
    });
  };
}
