import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeInterfaceName } from '../../control-plane/agent/mesh.js';
import { BIN_PATH } from '../../control-plane/index.js';
import { hubInterfaceName } from '../../control-plane/nodes/index.js';
import { readPrivateKeyFile, WIREGUARD_SOCKET_DIR } from '../../network/index.js';
import { tempDir, waitFor } from '../support/tmp.js';
import { createNetnsLab, type NetnsLab, netnsSkipReason } from './netns.js';

/** SIGTERM, then SIGKILL after 5 s, every process whose command line names one of `ids`. */
async function stopProcesses(ids: readonly string[]): Promise<void> {
  const find = () =>
    readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
          return ids.some((id) => argv.includes(id));
        } catch {
          return false;
        }
      })
      .map(Number);
  const signal = (pids: number[], sig: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {}
    }
  };
  signal(find(), 'SIGTERM');
  await waitFor(() => find().length === 0, 5000, 50).catch(() => signal(find(), 'SIGKILL'));
}

const skip =
  netnsSkipReason() ?? (existsSync(BIN_PATH) ? null : `${BIN_PATH} missing: build with npx tsc -p .`);
const HEARTBEAT_MS = 1000;
const API_PORT = 7420;

/**
 * The acceptance test of the mesh: `infrabase up` in namespace 0, its local provider launching agents n1…n3
 * each in its own namespace (`providers.local.launcher = ip netns exec {nodeId}`), everything joined by
 * veth pairs to a bridge; full-mesh topology over wireguard-go.
 */
describe.skipIf(skip !== null)(
  `control plane and agents in network namespaces${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let lab: NetnsLab | undefined;
    let tmp: ReturnType<typeof tempDir> | undefined;
    let up: ChildProcess | undefined;
    let db: Database.Database | undefined;
    let dataDir = '';
    let ids: string[] = [];
    const bodies: string[] = [];

    const row = (id: string) =>
      db!.prepare('SELECT * FROM sys_nodes WHERE id = ?').get(id) as Record<string, string | number | null>;
    const curl = async (path: string) => {
      const tokens = JSON.parse(readFileSync(join(dataDir, 'tokens.json'), 'utf8')) as { admin: string };
      const out = await lab!.exec(0, 'curl', [
        '-s',
        '-m',
        '5',
        '-H',
        `Authorization: Bearer ${tokens.admin}`,
        `http://127.0.0.1:${API_PORT}${path}`,
      ]);
      bodies.push(out.stdout);
      return JSON.parse(out.stdout) as Record<string, unknown>;
    };
    const peerKeys = async (i: number) =>
      (await lab!.exec(i, 'wg', ['show', nodeInterfaceName(ids[i]), 'peers'])).stdout
        .split('\n')
        .filter(Boolean);

    beforeAll(async () => {
      tmp = tempDir('infrabase-mesh-sys-');
      dataDir = join(tmp.dir, 'cp');
      lab = await createNetnsLab(4);
      ids = [...lab.namespaces];
      const config = {
        dataDir,
        host: '0.0.0.0',
        port: API_PORT,
        advertiseUrl: `http://${lab.underlayIp(0)}:${API_PORT}`,
        log: { level: 'info' },
        providers: { local: { host: '0.0.0.0', launcher: ['ip', 'netns', 'exec', '{nodeId}'] } },
        reconciler: { heartbeatIntervalMs: HEARTBEAT_MS, resyncIntervalMs: 1000 },
        mesh: { mode: 'on', cidr: '10.88.0.0/24', topology: 'full', listenPort: 51820 },
      };
      const configFile = join(tmp.dir, 'config.json');
      writeFileSync(configFile, JSON.stringify(config));
      const log = openSync(join(tmp.dir, 'up.log'), 'a', 0o600);
      up = lab.spawn(0, process.execPath, [BIN_PATH, 'up', '--config', configFile], {
        stdio: ['ignore', log, log],
      });
      await waitFor(
        () => readFileSync(join(tmp!.dir, 'up.log'), 'utf8').includes('control plane up'),
        20_000,
        50,
      );
      db = new Database(join(dataDir, 'infrabase.db'));
      db.pragma('busy_timeout = 5000');
    }, 60_000);

    afterAll(async () => {
      try {
        // The agents run detached (they outlive a control plane by design); their command lines carry this
        // run's unique node ids, so these are exactly the processes this test started.
        await stopProcesses(ids.slice(1));
        if (up && up.exitCode === null) {
          const exited = new Promise((r) => up!.once('exit', r));
          up.kill('SIGTERM');
          await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        }
        db?.close();
      } finally {
        await lab?.destroy();
        const names = ids.map(nodeInterfaceName);
        if (existsSync(join(dataDir, 'cluster-id')))
          names.push(hubInterfaceName(readFileSync(join(dataDir, 'cluster-id'), 'utf8').trim()));
        for (const n of names) rmSync(join(WIREGUARD_SOCKET_DIR, `${n}.sock`), { force: true });
        tmp?.cleanup();
      }
    }, 60_000);

    it('nodes inserted into sys_nodes join the mesh, get mesh addresses and report mesh endpoints', async () => {
      const insert = db!.prepare("INSERT INTO sys_nodes (id, provider) VALUES (?, 'local')");
      for (const id of ids.slice(1)) insert.run(id);
      for (const id of ids.slice(1)) {
        const r = await waitFor(
          () => {
            const v = row(id);
            return v.status === 'ready' && String(v.endpoint).startsWith('10.88.0.') ? v : null;
          },
          30_000,
          50,
        );
        expect(r.mesh_ip).toMatch(/^10\.88\.0\.\d+$/);
        expect(String(r.endpoint).split(':')[0]).toBe(r.mesh_ip);
        expect(r.wg_endpoint).toMatch(/^10\.231\.\d+\.\d+:51820$/);
      }
      const addresses = ids.slice(1).map((id) => row(id).mesh_ip);
      expect(new Set(addresses).size).toBe(3);
    }, 60_000);

    it('agents ping each other over the mesh in full-mesh topology', async () => {
      for (let i = 1; i <= 3; i++) {
        for (let j = 1; j <= 3; j++) {
          if (i !== j)
            expect(await waitFor(() => lab!.ping(i, String(row(ids[j]).mesh_ip)), 10_000, 50)).toBe(true);
        }
        expect(await lab!.ping(i, '10.88.0.1')).toBe(true);
      }
    }, 60_000);

    it('the control plane reaches every agent through its mesh address, and heartbeats arrive from mesh addresses', async () => {
      for (const id of ids.slice(1)) {
        const reply = await curl(`/v1/nodes/${id}/health`);
        expect(reply.endpoint).toBe(row(id).endpoint);
        expect(String(reply.endpoint).startsWith(`${row(id).mesh_ip}:`)).toBe(true);
        expect((reply.health as { nodeId: string }).nodeId).toBe(id);
      }
      const before = ids.slice(1).map((id) => Number(row(id).last_heartbeat_at));
      await waitFor(
        () => ids.slice(1).every((id, k) => Number(row(id).last_heartbeat_at) > before[k]),
        10_000,
        50,
      );
      const sockets = (await lab!.exec(0, 'ss', ['-Htn', 'state', 'established', `( sport = :${API_PORT} )`]))
        .stdout;
      for (const id of ids.slice(1)) expect(sockets).toContain(`${row(id).mesh_ip}:`);
    }, 30_000);

    it('deleting a node removes it from the other nodes peer lists within two heartbeats and releases its address', async () => {
      const gone = String(row(ids[3]).wg_public_key);
      expect(await peerKeys(1)).toContain(gone);
      const start = Date.now();
      db!.prepare('DELETE FROM sys_nodes WHERE id = ?').run(ids[3]);
      await waitFor(
        async () => !(await peerKeys(1)).includes(gone) && !(await peerKeys(2)).includes(gone),
        2 * HEARTBEAT_MS + 1000,
        20,
      );
      const elapsed = Date.now() - start;
      expect(elapsed).toBeLessThanOrEqual(2 * HEARTBEAT_MS + 1000);
      expect(await lab!.ping(1, String(row(ids[2]).mesh_ip))).toBe(true);
      await waitFor(
        () => (row(ids[3])?.status === 'terminated' && row(ids[3]).mesh_ip === null ? true : !row(ids[3])),
        20_000,
        50,
      );
    }, 40_000);

    it('no private key is found in the database, the logs or any HTTP body', async () => {
      const keys = [
        join(dataDir, 'mesh', 'wireguard.key'),
        ...ids.slice(1).map((id) => join(dataDir, 'nodes', id, 'wireguard.key')),
      ].map(readPrivateKeyFile);
      expect(keys).toHaveLength(4);
      for (const k of ids.slice(1))
        expect(statSync(join(dataDir, 'nodes', k, 'wireguard.key')).mode & 0o777).toBe(0o600);
      const files: string[] = [join(tmp!.dir, 'up.log')];
      for (const f of readdirSync(dataDir)) if (f.startsWith('infrabase.db')) files.push(join(dataDir, f));
      for (const id of ids.slice(1)) files.push(join(dataDir, 'nodes', id, 'agent.log'));
      const haystacks = [...files.map((f) => readFileSync(f).toString('latin1')), ...bodies];
      expect(bodies.length).toBeGreaterThan(0);
      for (const key of keys) {
        const raw = Buffer.from(key, 'base64').toString('latin1');
        for (const h of haystacks) {
          expect(h.includes(key)).toBe(false);
          expect(h.includes(raw)).toBe(false);
        }
      }
    });
  },
);
