import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readBootConfig } from '../../agent/index.js';
import { AGENT_CONFIG_PATH, renderCloudInit } from '../../autoinfra/index.js';
import { retireNodesAndClose, startTestControlPlane } from '../support/control-plane.js';
import { tempDir, waitFor } from '../support/tmp.js';

const tmp = tempDir('infrabase-agent-port-');
afterAll(() => tmp.cleanup());

const spec = {
  controlPlaneUrl: 'https://203.0.113.10:7420',
  nodeId: 'n-0a1b2c',
  joinToken: 'jt_Zm9vYmFyYmF6cXV4LmV4cGlyZXM',
};

/** The agent config file a cloud node gets from its cloud-init user data. */
function agentConfigFrom(userData: string): string {
  const files = parse(userData).write_files as { path: string; content: string }[];
  return files.find((f) => f.path === AGENT_CONFIG_PATH)!.content;
}

describe('agent port in the boot data', () => {
  it('reaches the agent through the config file cloud-init writes, and is left out when 0', () => {
    const path = join(tmp.dir, 'agent.yaml');
    writeFileSync(path, agentConfigFrom(renderCloudInit({ ...spec, agentPort: 7500 })));
    expect(readBootConfig(path)).toMatchObject({ nodeId: 'n-0a1b2c', port: 7500 });
    writeFileSync(path, agentConfigFrom(renderCloudInit({ ...spec, agentPort: 0 })));
    expect(readBootConfig(path).port).toBeUndefined();
  });

  it('refuses a port outside 0-65535 in the bootstrap spec, naming the field', () => {
    expect(() => renderCloudInit({ ...spec, agentPort: 70000 })).toThrow(
      /agentPort 70000 must be an integer from 0 to 65535/,
    );
  });

  it('refuses a port of the wrong type in the agent config file', () => {
    const path = join(tmp.dir, 'bad.yaml');
    writeFileSync(path, 'agent:\n  port: "7500"\n');
    expect(() => readBootConfig(path)).toThrow(/agent\.port must be a number, got string/);
  });
});

describe('reconciler.agentPort on a running control plane', () => {
  it('starts a local agent on the configured port and records it in sys_nodes.agent_port', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as { port: number };
    await new Promise((r) => probe.close(r));
    const { cp, close } = await startTestControlPlane({
      reconciler: { heartbeatIntervalMs: 200, resyncIntervalMs: 500, agentPort: port },
    });
    try {
      const db = cp.context.db;
      db.prepare("INSERT INTO sys_nodes (id, provider) VALUES ('n-port', 'local')").run();
      const row = await waitFor(
        () =>
          db
            .prepare("SELECT agent_port, endpoint FROM sys_nodes WHERE id = 'n-port' AND status = 'ready'")
            .get() as { agent_port: number; endpoint: string } | undefined,
        60_000,
        50,
      );
      expect(row).toEqual({ agent_port: port, endpoint: `127.0.0.1:${port}` });
      const health = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.json());
      expect(health).toEqual({ status: 'ok', nodeId: 'n-port' });
    } finally {
      await retireNodesAndClose(cp, close);
    }
  }, 90_000);
});
