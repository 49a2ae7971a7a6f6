import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { type AgentHandle, readBootConfig, runAgent } from '../../../../agent/index.js';
import { AGENT_CONFIG_PATH } from '../../../../autoinfra/index.js';
import type { CloudUnderTest, ServerInstance } from './clouds.js';

/** The agent settings a launch's boot data carries, as the agent reads them from `/etc/infrabase/agent.yaml`. */
export interface AgentBootConfig {
  readonly nodeId: string;
  readonly controlPlaneUrl: string;
  readonly joinToken: string;
  readonly heartbeatIntervalMs: number;
}

/** One booted test-server instance: the agent started for it on loopback. */
export interface Machine {
  readonly instanceId: string;
  readonly nodeId: string;
  readonly boot: AgentBootConfig;
  readonly agent: AgentHandle;
}

/** The command both boot formats end with: the agent runs as the systemd unit they write. */
const START_AGENT = 'systemctl enable --now infrabase-agent.service';

/**
 * Plays cloud-init for the instances of one cloud test server: every `pollMs` it reads the live instances
 * (EC2 UserData / GCE `startup-script` metadata, from the server's own state), and for each new one tagged
 * with a node id it extracts `/etc/infrabase/agent.yaml` from the real boot data ({@link extractAgentConfig}),
 * writes it into the machine's directory under `dir`, reads it with the agent's own loader and starts the node
 * agent in this process on 127.0.0.1 with that directory as its data dir; when an instance stops being live
 * (terminated or deleted in the server), it stops that agent, as the machine going down would. Instances whose
 * boot data does not install and start the agent are recorded in {@link errors} and skipped.
 */
export class CloudInit {
  /** Machines whose agent runs, by instance id. */
  readonly machines = new Map<string, Machine>();
  /** Machines whose instance left the server's live set, by instance id; their agent was stopped. */
  readonly terminated = new Map<string, Machine>();
  /** Boot failures, one line each (instance id: what went wrong). */
  readonly errors: string[] = [];
  /** Instances whose boot failed; not retried. */
  private readonly failed = new Set<string>();
  private timer?: NodeJS.Timeout;
  private pass: Promise<void> = Promise.resolve();

  constructor(
    private readonly cloud: CloudUnderTest,
    private readonly dir: string,
    private readonly pollMs = 20,
  ) {}

  /** Starts watching the server; idempotent. */
  start(): this {
    this.timer ??= setInterval(() => {
      this.pass = this.pass
        .then(() => this.sync())
        .catch((err) => {
          this.errors.push(`watch: ${(err as Error).message}`);
        });
    }, this.pollMs);
    return this;
  }

  /** Stops watching and stops every agent it started (also those of live instances). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.pass;
    const running = [...this.machines.values()];
    this.machines.clear();
    await Promise.all(running.map((m) => m.agent.stop().catch(() => undefined)));
  }

  /** The machine booted for the node `nodeId`, if its agent runs. */
  machineOf(nodeId: string): Machine | undefined {
    return [...this.machines.values()].find((m) => m.nodeId === nodeId);
  }

  private async sync(): Promise<void> {
    const live = this.cloud.live();
    const liveIds = new Set(live.map((i) => i.id));
    for (const [id, m] of this.machines) {
      if (liveIds.has(id)) continue;
      this.machines.delete(id);
      this.terminated.set(id, m);
      await m.agent.stop().catch(() => undefined);
    }
    for (const i of live) {
      if (this.machines.has(i.id) || this.terminated.has(i.id) || this.failed.has(i.id)) continue;
      if (!i.nodeId || i.bootConfig === undefined) continue;
      await this.boot(i);
    }
  }

  private async boot(i: ServerInstance): Promise<void> {
    const dataDir = join(this.dir, i.id.replaceAll('/', '_'));
    let boot: AgentBootConfig;
    try {
      mkdirSync(dataDir, { recursive: true });
      const file = join(dataDir, 'agent.yaml');
      writeFileSync(file, extractAgentConfig(i.bootConfig ?? ''), { mode: 0o600 });
      boot = toAgentBootConfig(readBootConfig(file));
      if (boot.nodeId !== i.nodeId) {
        throw new Error(`agent config names node ${boot.nodeId}, the instance is tagged ${i.nodeId}`);
      }
    } catch (err) {
      this.errors.push(`${i.id}: ${(err as Error).message}`);
      this.failed.add(i.id);
      return;
    }
    try {
      const agent = await runAgent({ ...boot, dataDir, host: '127.0.0.1', log: () => undefined });
      this.machines.set(i.id, { instanceId: i.id, nodeId: boot.nodeId, boot, agent });
    } catch (err) {
      this.errors.push(`${i.id}: agent did not start: ${(err as Error).message}`);
      this.failed.add(i.id);
    }
  }
}

/**
 * The text of `/etc/infrabase/agent.yaml` in a launch's boot data: the `write_files` entry of EC2 cloud-init
 * user data (`#cloud-config`), or the quoted heredoc of the GCE startup script. Either must also start the
 * agent's unit.
 * @throws Error saying what is missing when the boot data is neither, or does not start the agent.
 */
export function extractAgentConfig(bootData: string): string {
  if (!bootData.includes(START_AGENT)) throw new Error(`boot data does not run '${START_AGENT}'`);
  if (bootData.startsWith('#cloud-config\n')) {
    const doc = parse(bootData) as { write_files?: { path: string; content: string }[] };
    const file = doc.write_files?.find((f) => f.path === AGENT_CONFIG_PATH);
    if (!file) throw new Error(`cloud-config writes no ${AGENT_CONFIG_PATH}`);
    return file.content;
  }
  if (bootData.startsWith('#!/bin/sh\n')) {
    const m = /<<'INFRABASE_AGENT_CONFIG'\n([\s\S]*?)\nINFRABASE_AGENT_CONFIG\n/.exec(bootData);
    if (!m) throw new Error(`startup script writes no ${AGENT_CONFIG_PATH} heredoc`);
    return `${m[1]}\n`;
  }
  throw new Error(`boot data is neither #cloud-config nor a #!/bin/sh script: ${bootData.slice(0, 40)}`);
}

function toAgentBootConfig(c: ReturnType<typeof readBootConfig>): AgentBootConfig {
  if (!c.nodeId) throw new Error('agent config has no agent.nodeId');
  if (!c.controlPlaneUrl) throw new Error('agent config has no agent.controlPlaneUrl');
  if (!c.joinToken) throw new Error('agent config has no agent.joinToken');
  if (c.heartbeatIntervalMs === undefined) throw new Error('agent config has no agent.heartbeatIntervalMs');
  return {
    nodeId: c.nodeId,
    controlPlaneUrl: c.controlPlaneUrl,
    joinToken: c.joinToken,
    heartbeatIntervalMs: c.heartbeatIntervalMs,
  };
}
