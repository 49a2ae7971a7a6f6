import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InfrabaseError } from '../../../engine/index.js';
import type { CloudProvider, Instance, NodeSpec } from '../../provider.js';
import {
  AGENT_LOCK_FILE,
  AGENT_SECRET_FILES,
  isAgentAlive,
  liveAgentPid,
  readAgentLock,
} from './agent-lock.js';
import {
  type InstanceRecord,
  readInstanceRecord,
  scanInstanceRecords,
  writeInstanceRecord,
} from './instance-record.js';

/** Boot configuration the local provider expects in `NodeSpec.userData` (JSON). */
export interface LocalBootConfig {
  readonly controlPlaneUrl: string;
  readonly joinToken: string;
  /** ms. */
  readonly heartbeatIntervalMs?: number;
  /** The port the agent listens on; 0 or absent: a free one. */
  readonly agentPort?: number;
}

export interface LocalProviderOptions {
  /** The control plane's data dir; nodes live in `<dataDir>/nodes/<node id>/`. */
  readonly dataDir: string;
  readonly clusterId: string;
  /** Loopback address the agents listen on. Default 127.0.0.1. */
  readonly host?: string;
  /** The agent's entry script. Default `<repo>/dist/agent/main.js`. */
  readonly agentScript?: string;
  /** How long `create` waits for the agent to take its lock, in ms. Default 10000. */
  readonly startTimeoutMs?: number;
  /** How long `delete` waits after SIGTERM before SIGKILL, in ms. Default 5000. */
  readonly stopGraceMs?: number;
  /**
   * Argv prefix the agent runs under, `{nodeId}` replaced, e.g. `['ip', 'netns', 'exec', 'ns-{nodeId}']`; it
   * must exec the agent in place (same pid), as `ip netns exec`, `nice` or `chrt` do. Default none.
   */
  readonly launcher?: readonly string[];
  /** Environment variables set on every agent process besides this process's own (its settings). Default none. */
  readonly agentEnv?: Readonly<Record<string, string>>;
}

/** The compiled agent entry point, whether this file runs from `dist/` or from source under vitest. */
export function defaultAgentScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const up = resolve(here, '../../..');
  const dist = here.includes(`${'/'}dist${'/'}`) ? up : join(up, 'dist');
  return join(dist, 'agent/main.js');
}

/** The local instance id of a launch: `local-` + 16 hex of sha256(token), stable for a token. */
export function localInstanceId(token: string): string {
  return `local-${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
}

const POLL_MS = 20;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The `local` provider: each node is an `infrabase agent` process, started detached (own process group,
 * stdio to `<node dir>/agent.log`, unref'd) so it outlives the control plane and is adopted after a restart.
 * Idempotency: `<node dir>/instance.json` records the token before the process is spawned and the agent
 * itself holds `<node dir>/agent.pid` (taken atomically), so `create` with the same token returns the live
 * agent, and two racing starts leave one process.
 */
export class LocalProvider implements CloudProvider {
  readonly name = 'local' as const;
  /** The provider starts the agent itself from the {@link LocalBootConfig} JSON. */
  readonly bootFormat = 'agent-json' as const;
  readonly nodesDir: string;
  private readonly host: string;
  private readonly agentScript: string;
  private readonly startTimeoutMs: number;
  private readonly stopGraceMs: number;

  constructor(private readonly options: LocalProviderOptions) {
    this.nodesDir = join(resolve(options.dataDir), 'nodes');
    this.host = options.host ?? '127.0.0.1';
    this.agentScript = options.agentScript ?? defaultAgentScript();
    this.startTimeoutMs = options.startTimeoutMs ?? 10_000;
    this.stopGraceMs = options.stopGraceMs ?? 5_000;
  }

  /** The data dir of node `nodeId`. */
  nodeDir(nodeId: string): string {
    return join(this.nodesDir, nodeId);
  }

  /**
   * @throws InfrabaseError `INVALID_SPEC` when userData is not a {@link LocalBootConfig} JSON;
   *   `CONFLICT` (retryable) when a live agent of another launch holds the node dir;
   *   `UNAVAILABLE` when the agent did not start within `startTimeoutMs` (retrying with the same token is safe).
   */
  async create(spec: NodeSpec, token: string, signal: AbortSignal): Promise<Instance> {
    const boot = parseBoot(spec);
    const dir = this.nodeDir(spec.nodeId);
    mkdirSync(dir, { recursive: true });
    const existing = readInstanceRecord(dir);
    const live = liveAgentPid(dir, spec.nodeId);
    if (existing && existing.token === token) {
      if (existing.state === 'terminated') return this.toInstance(existing, undefined);
      if (live !== undefined) return this.toInstance(existing, live);
    } else if (live !== undefined) {
      throw new InfrabaseError(
        'CONFLICT',
        `node ${spec.nodeId} already runs agent pid ${live} of another launch (${existing?.instanceId ?? 'unknown'})`,
        { retryable: true },
      );
    }
    const record: InstanceRecord =
      existing && existing.token === token
        ? existing
        : {
            instanceId: localInstanceId(token),
            token,
            nodeId: spec.nodeId,
            clusterId: this.options.clusterId,
            createdAt: Date.now(),
            state: 'running',
          };
    // Intent first: the record names the token before a process exists.
    writeInstanceRecord(dir, record);
    const pid = await this.spawnAgent(spec.nodeId, dir, boot, signal);
    return this.toInstance(record, pid);
  }

  /**
   * Stops the agent (SIGTERM, then SIGKILL after `stopGraceMs`) and removes its secrets from the node dir
   * ({@link AGENT_SECRET_FILES}); the instance record is kept, marked terminated.
   * @throws InfrabaseError `NOT_FOUND` when the instance does not exist or is already terminated.
   */
  async delete(instanceId: string, _signal: AbortSignal): Promise<void> {
    const found = this.find(instanceId);
    if (!found || found.record.state === 'terminated') {
      throw new InfrabaseError('NOT_FOUND', `local instance ${instanceId} does not exist or is terminated`);
    }
    const { dir, record } = found;
    writeInstanceRecord(dir, { ...record, state: 'terminated' });
    const lock = readAgentLock(dir);
    if (lock && isAgentAlive(lock.pid, record.nodeId)) {
      signalProcess(lock.pid, 'SIGTERM');
      const deadline = Date.now() + this.stopGraceMs;
      while (isAgentAlive(lock.pid, record.nodeId) && Date.now() < deadline) await pause(POLL_MS);
      if (isAgentAlive(lock.pid, record.nodeId)) {
        signalProcess(lock.pid, 'SIGKILL');
        const killDeadline = Date.now() + 2000;
        while (isAgentAlive(lock.pid, record.nodeId) && Date.now() < killDeadline) await pause(POLL_MS);
      }
    }
    rmSync(join(dir, AGENT_LOCK_FILE), { force: true });
    // A terminated node's credentials must not outlive it (its row and launch are gone; the files would be
    // readable by whoever reads the data dir). The instance record stays: it answers for the launch's token.
    for (const file of AGENT_SECRET_FILES) rmSync(join(dir, file), { force: true });
  }

  async get(instanceId: string, _signal: AbortSignal): Promise<Instance> {
    const found = this.find(instanceId);
    if (!found) throw new InfrabaseError('NOT_FOUND', `local instance ${instanceId} does not exist`);
    return this.toInstance(found.record, liveAgentPid(found.dir, found.record.nodeId));
  }

  async listOwned(_signal: AbortSignal): Promise<Instance[]> {
    return scanInstanceRecords(this.nodesDir)
      .filter(({ record }) => record.clusterId === this.options.clusterId && record.state !== 'terminated')
      .map(({ dir, record }) => this.toInstance(record, liveAgentPid(dir, record.nodeId)));
  }

  private find(instanceId: string): { dir: string; record: InstanceRecord } | undefined {
    return scanInstanceRecords(this.nodesDir).find(
      (r) => r.record.instanceId === instanceId && r.record.clusterId === this.options.clusterId,
    );
  }

  private toInstance(record: InstanceRecord, pid: number | undefined): Instance {
    let state: Instance['state'];
    if (record.state === 'terminated') state = 'terminated';
    else if (pid !== undefined) state = 'running';
    else if (Date.now() - record.createdAt < this.startTimeoutMs) state = 'pending';
    else state = 'terminated';
    return {
      id: record.instanceId,
      nodeId: record.nodeId,
      clusterId: record.clusterId,
      state,
      zone: 'local',
      instanceType: 'process',
      privateIp: this.host,
      launchedAt: record.createdAt,
    };
  }

  private async spawnAgent(nodeId: string, dir: string, boot: LocalBootConfig, signal: AbortSignal) {
    if (!existsSync(this.agentScript)) {
      throw new InfrabaseError(
        'INTERNAL',
        `agent script ${this.agentScript} not found; build with npx tsc -p .`,
      );
    }
    const log = openSync(join(dir, 'agent.log'), 'a', 0o600);
    const args = [
      this.agentScript,
      '--node-id',
      nodeId,
      '--data-dir',
      dir,
      '--control-plane-url',
      boot.controlPlaneUrl,
      '--host',
      this.host,
      '--port',
      String(boot.agentPort ?? 0),
    ];
    if (boot.heartbeatIntervalMs !== undefined)
      args.push('--heartbeat-interval-ms', String(boot.heartbeatIntervalMs));
    let exited = false;
    try {
      const prefix = (this.options.launcher ?? []).map((a) => a.replaceAll('{nodeId}', nodeId));
      const [file, ...argv] = [...prefix, process.execPath, ...args];
      const child = spawn(file, argv, {
        detached: true,
        stdio: ['ignore', log, log],
        // The join token travels in the environment, not argv (argv is world-readable in /proc).
        env: { ...process.env, ...this.options.agentEnv, INFRABASE_JOIN_TOKEN: boot.joinToken },
      });
      child.on('exit', () => {
        exited = true;
      });
      child.on('error', () => {
        exited = true;
      });
      child.unref();
    } finally {
      closeSync(log);
    }
    const deadline = Date.now() + this.startTimeoutMs;
    for (;;) {
      const pid = liveAgentPid(dir, nodeId);
      if (pid !== undefined) return pid;
      if (signal.aborted) throw signal.reason;
      if (Date.now() > deadline || exited) {
        const again = liveAgentPid(dir, nodeId);
        if (again !== undefined) return again;
        throw new InfrabaseError(
          'UNAVAILABLE',
          `agent of node ${nodeId} ${exited ? 'exited' : 'did not start'} within ${this.startTimeoutMs} ms; see ${join(dir, 'agent.log')}`,
        );
      }
      await pause(POLL_MS);
    }
  }
}

function parseBoot(spec: NodeSpec): LocalBootConfig {
  try {
    const boot = JSON.parse(spec.userData ?? '') as LocalBootConfig;
    if (typeof boot.controlPlaneUrl === 'string' && typeof boot.joinToken === 'string') return boot;
  } catch {
    /* reported below */
  }
  throw new InfrabaseError(
    'INVALID_SPEC',
    `local node ${spec.nodeId} needs userData JSON {"controlPlaneUrl": "...", "joinToken": "..."}`,
  );
}

function signalProcess(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}
