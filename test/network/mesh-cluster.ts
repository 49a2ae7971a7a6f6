/**
 * A mesh cluster in network namespaces for system tests: `infrabase up` in namespace 0 of a {@link NetnsLab},
 * its local provider launching agents in namespaces 1…n (`providers.local.launcher = ip netns exec {nodeId}`,
 * the node id being the namespace name), `mesh.mode: on` over wireguard-go. `stop` ends exactly the processes
 * the cluster started (the detached agents are found by their unique node ids), removes every namespace,
 * interface and socket, and the temp dir; call it in `afterAll`, it is safe after a failed `start`.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { nodeInterfaceName } from '../../agent/mesh.js';
import { BIN_PATH } from '../../control-plane/index.js';
import { hubInterfaceName, type MeshTopology, WIREGUARD_SOCKET_DIR } from '../../network/index.js';
import { tempDir, waitFor } from '../support/tmp.js';
import { createNetnsLab, type NetnsLab, netnsSkipReason } from './netns.js';

export const API_PORT = 7420;
export const MESH_CIDR = '10.88.0.0/24';
export const HUB_MESH_IP = '10.88.0.1';

/** Why the cluster cannot run here (not root, tools missing, not built), or null. */
export function meshClusterSkipReason(): string | null {
  return netnsSkipReason() ?? (existsSync(BIN_PATH) ? null : `${BIN_PATH} missing: build with npx tsc -p .`);
}

export interface MeshClusterOptions {
  readonly topology: MeshTopology;
  /** Temp dir prefix. */
  readonly prefix?: string;
  /** Agent namespaces besides the control plane's. */
  readonly nodes: number;
  /** Heartbeat interval, ms. */
  readonly heartbeatMs: number;
}

export interface MeshCluster {
  readonly lab: NetnsLab;
  /** Node ids = namespace names; `ids[0]` is the control plane's namespace, `ids[i]` runs node i. */
  readonly ids: readonly string[];
  readonly dir: string;
  readonly dataDir: string;
  /** A read-write connection to the control plane's database. */
  readonly db: Database.Database;
  /** Every HTTP body `curl` received (to search for private keys). */
  readonly bodies: string[];
  row(id: string): Record<string, string | number | null>;
  /** Inserts local nodes and waits until each is `ready` with a mesh endpoint; returns the rows. */
  launch(ids: readonly string[]): Promise<Record<string, string | number | null>[]>;
  /** GET on the control plane's API from its namespace with the admin token; parsed JSON. */
  curl(path: string): Promise<Record<string, unknown>>;
  /** Public keys of the peers on node `i`'s WireGuard interface. */
  peerKeys(i: number): Promise<string[]>;
  /** Node `i`'s data dir (holds its key files). */
  nodeDir(i: number): string;
  stop(): Promise<void>;
}

/** SIGTERM, then SIGKILL after 5 s, every process whose command line names one of `ids`. */
export async function stopProcesses(ids: readonly string[]): Promise<void> {
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

/** Starts the control plane; on failure everything started so far is removed before the error is thrown. */
export async function startMeshCluster(options: MeshClusterOptions): Promise<MeshCluster> {
  const tmp = tempDir(options.prefix ?? 'infrabase-mesh-sys-');
  const dataDir = join(tmp.dir, 'cp');
  let lab: NetnsLab | undefined;
  let up: ChildProcess | undefined;
  let db: Database.Database | undefined;
  let ids: string[] = [];
  const stop = async () => {
    try {
      // The agents run detached (they outlive a control plane by design); their command lines carry this
      // run's unique node ids, so these are exactly the processes this cluster started.
      await stopProcesses(ids.slice(1));
      if (up && up.exitCode === null && up.signalCode === null) {
        const exited = new Promise((r) => up!.once('exit', r));
        up.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      }
      db?.close();
    } finally {
      const names = ids.map(nodeInterfaceName);
      if (existsSync(join(dataDir, 'cluster-id')))
        names.push(hubInterfaceName(readFileSync(join(dataDir, 'cluster-id'), 'utf8').trim()));
      // A wireguard-go whose agent was killed outlives its namespace: end it by its interface name.
      await stopProcesses(names);
      await lab?.destroy();
      for (const n of names) rmSync(join(WIREGUARD_SOCKET_DIR, `${n}.sock`), { force: true });
      tmp.cleanup();
    }
  };
  try {
    lab = await createNetnsLab(options.nodes + 1);
    ids = [...lab.namespaces];
    const config = {
      dataDir,
      host: '0.0.0.0',
      port: API_PORT,
      advertiseUrl: `http://${lab.underlayIp(0)}:${API_PORT}`,
      log: { level: 'info' },
      providers: { local: { host: '0.0.0.0', launcher: ['ip', 'netns', 'exec', '{nodeId}'] } },
      reconciler: { heartbeatIntervalMs: options.heartbeatMs, resyncIntervalMs: 1000 },
      mesh: { mode: 'on', cidr: MESH_CIDR, topology: options.topology, listenPort: 51820 },
    };
    const configFile = join(tmp.dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(config));
    const log = openSync(join(tmp.dir, 'up.log'), 'a', 0o600);
    up = lab.spawn(0, process.execPath, [BIN_PATH, 'up', '--config', configFile], {
      stdio: ['ignore', log, log],
    });
    await waitFor(
      () => readFileSync(join(tmp.dir, 'up.log'), 'utf8').includes('control plane up'),
      20_000,
      50,
    );
    db = new Database(join(dataDir, 'infrabase.db'));
    db.pragma('busy_timeout = 5000');
  } catch (err) {
    await stop();
    throw err;
  }
  const theLab = lab;
  const conn = db;
  const bodies: string[] = [];
  const row = (id: string) =>
    conn.prepare('SELECT * FROM sys_nodes WHERE id = ?').get(id) as Record<string, string | number | null>;
  return {
    lab: theLab,
    ids,
    dir: tmp.dir,
    dataDir,
    db: conn,
    bodies,
    row,
    async launch(launched) {
      const insert = conn.prepare("INSERT INTO sys_nodes (id, provider) VALUES (?, 'local')");
      for (const id of launched) insert.run(id);
      const rows = [];
      for (const id of launched) {
        rows.push(
          await waitFor(
            () => {
              const v = row(id);
              return v.status === 'ready' && String(v.endpoint).startsWith('10.88.0.') ? v : null;
            },
            30_000,
            50,
          ),
        );
      }
      return rows;
    },
    async curl(path) {
      const tokens = JSON.parse(readFileSync(join(dataDir, 'tokens.json'), 'utf8')) as { admin: string };
      const out = await theLab.exec(0, 'curl', [
        '-s',
        '-m',
        '5',
        '-H',
        `Authorization: Bearer ${tokens.admin}`,
        `http://127.0.0.1:${API_PORT}${path}`,
      ]);
      bodies.push(out.stdout);
      return JSON.parse(out.stdout) as Record<string, unknown>;
    },
    async peerKeys(i) {
      return (await theLab.exec(i, 'wg', ['show', nodeInterfaceName(ids[i]), 'peers'])).stdout
        .split('\n')
        .filter(Boolean);
    },
    nodeDir: (i) => join(dataDir, 'nodes', ids[i]),
    stop,
  };
}
