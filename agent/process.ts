import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { InfrabaseError, isInfrabaseError } from '../engine/index.js';
import { predictLimitsFromEnv } from './predict-env.js';
import { type AgentHandle, runAgent } from './run-agent.js';

/** How an agent process is told who it is; from flags, the environment or a boot config file. */
export interface AgentProcessOptions {
  nodeId?: string;
  dataDir?: string;
  controlPlaneUrl?: string;
  host?: string;
  port?: number;
  heartbeatIntervalMs?: number;
  /**
   * The agent config file (YAML, `/etc/infrabase/agent.yaml` as the cloud bootstrap writes it): `dataDir`, and
   * under `agent`: `nodeId`, `controlPlaneUrl`, `joinToken`, `heartbeatIntervalMs`, `port` (autoinfra's
   * `agentConfigDocument`).
   */
  config?: string;
}

/**
 * Runs a node agent as the whole process: resolves its settings (flags over the boot config file; the join
 * token from the file or `INFRABASE_JOIN_TOKEN`, never argv, which other users can read; PREDICT's limits from
 * the environment the local provider gives it, see predict-env.ts), runs the agent
 * until SIGTERM/SIGINT, then exits 0. Exits 0 at once if a live agent of the same node already runs.
 * @throws InfrabaseError `INVALID_ARGUMENT` naming what is missing.
 */
export async function runAgentProcess(options: AgentProcessOptions): Promise<void> {
  const file = options.config ? readBootConfig(options.config) : {};
  const nodeId = options.nodeId ?? file.nodeId;
  const controlPlaneUrl = options.controlPlaneUrl ?? file.controlPlaneUrl;
  const joinToken = process.env.INFRABASE_JOIN_TOKEN || file.joinToken;
  const dataDir = options.dataDir ?? file.dataDir ?? (nodeId ? `/var/lib/infrabase/${nodeId}` : undefined);
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? file.heartbeatIntervalMs;
  const port = options.port ?? file.port;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new InfrabaseError('INVALID_ARGUMENT', `agent port ${port} must be an integer from 0 to 65535`);
  }
  const missing = Object.entries({ nodeId, controlPlaneUrl, joinToken })
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length > 0 || !dataDir) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `agent needs ${missing.join(', ')}: pass --node-id and --control-plane-url (or --config FILE), join token in INFRABASE_JOIN_TOKEN or the config file`,
    );
  }
  delete process.env.INFRABASE_JOIN_TOKEN;
  let agent: AgentHandle;
  try {
    agent = await runAgent({
      controlPlaneUrl: controlPlaneUrl!,
      nodeId: nodeId!,
      joinToken: joinToken!,
      dataDir,
      host: options.host,
      port,
      heartbeatIntervalMs,
      predict: predictLimitsFromEnv(process.env),
      onError: (err) => process.stderr.write(`${new Date().toISOString()} ${(err as Error).message}\n`),
    });
  } catch (err) {
    if (isInfrabaseError(err, 'ALREADY_EXISTS')) {
      process.stderr.write(`${(err as Error).message}; exiting\n`);
      process.exit(0);
    }
    throw err;
  }
  process.stdout.write(`${new Date().toISOString()} agent ${nodeId} serving on ${agent.endpoint}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await agent.stop();
  process.exit(0);
}

interface BootConfig {
  nodeId?: string;
  controlPlaneUrl?: string;
  joinToken?: string;
  heartbeatIntervalMs?: number;
  port?: number;
  dataDir?: string;
}

/**
 * Reads the agent config file: top-level `dataDir`, the rest from the `agent` section.
 * @throws InfrabaseError `INVALID_ARGUMENT` when the file cannot be read or parsed, or a value has the wrong type.
 */
export function readBootConfig(path: string): BootConfig {
  let doc: { dataDir?: unknown; agent?: Record<string, unknown> } | null;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `cannot read agent config ${path}: ${(err as Error).message}`,
    );
  }
  const agent = doc?.agent ?? {};
  const out: Record<string, unknown> = { ...agent, dataDir: doc?.dataDir };
  const types = {
    nodeId: 'string',
    controlPlaneUrl: 'string',
    joinToken: 'string',
    dataDir: 'string',
    heartbeatIntervalMs: 'number',
    port: 'number',
  } as const;
  for (const [k, type] of Object.entries(types)) {
    if (out[k] !== undefined && typeof out[k] !== type) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `agent config ${path}: ${k === 'dataDir' ? k : `agent.${k}`} must be a ${type}, got ${typeof out[k]}`,
      );
    }
  }
  return {
    nodeId: out.nodeId as string | undefined,
    controlPlaneUrl: out.controlPlaneUrl as string | undefined,
    joinToken: out.joinToken as string | undefined,
    heartbeatIntervalMs: out.heartbeatIntervalMs as number | undefined,
    port: out.port as number | undefined,
    dataDir: out.dataDir as string | undefined,
  };
}
