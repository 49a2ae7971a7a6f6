import { join } from 'node:path';
import { type AgentHandle, runAgent } from '../../../../control-plane/agent/index.js';
import type { CloudUnderTest, ServerInstance } from './clouds.js';

/** The agent boot configuration a launch carries (control-plane/nodes/module.ts `bootConfig`). */
export interface AgentBootConfig {
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

/**
 * Plays cloud-init for the instances of one cloud test server: every `pollMs` it reads the live instances
 * (EC2 UserData / GCE `startup-script` metadata, from the server's own state), and for each new one tagged
 * with a node id it parses the boot configuration and starts the node agent in this process on 127.0.0.1
 * with a data dir under `dir`; when an instance stops being live (terminated or deleted in the server), it
 * stops that agent, as the machine going down would. Instances without a parsable boot configuration are
 * recorded in {@link errors} and skipped.
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
    let boot: AgentBootConfig;
    try {
      boot = parseBootConfig(i.bootConfig ?? '');
    } catch (err) {
      this.errors.push(`${i.id}: ${(err as Error).message}`);
      this.failed.add(i.id);
      return;
    }
    try {
      const agent = await runAgent({
        controlPlaneUrl: boot.controlPlaneUrl,
        nodeId: i.nodeId!,
        joinToken: boot.joinToken,
        heartbeatIntervalMs: boot.heartbeatIntervalMs,
        dataDir: join(this.dir, i.id.replaceAll('/', '_')),
        host: '127.0.0.1',
        log: () => undefined,
      });
      this.machines.set(i.id, { instanceId: i.id, nodeId: i.nodeId!, boot, agent });
    } catch (err) {
      this.errors.push(`${i.id}: agent did not start: ${(err as Error).message}`);
      this.failed.add(i.id);
    }
  }
}

/**
 * Parses the boot configuration a launch carries.
 * @throws Error naming the missing or mistyped field when it is not the JSON {@link AgentBootConfig}.
 */
export function parseBootConfig(text: string): AgentBootConfig {
  const v = JSON.parse(text) as Partial<AgentBootConfig>;
  if (typeof v.controlPlaneUrl !== 'string') throw new Error(`boot config has no controlPlaneUrl: ${text}`);
  if (typeof v.joinToken !== 'string') throw new Error('boot config has no joinToken');
  if (typeof v.heartbeatIntervalMs !== 'number') throw new Error('boot config has no heartbeatIntervalMs');
  return {
    controlPlaneUrl: v.controlPlaneUrl,
    joinToken: v.joinToken,
    heartbeatIntervalMs: v.heartbeatIntervalMs,
  };
}
