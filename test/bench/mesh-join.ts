/**
 * Benchmark: time from `INSERT INTO sys_nodes` to the first successful ping over the mesh. `infrabase up` runs
 * in one network namespace, its local provider launches each agent in another (`ip netns exec`); the clock
 * starts at the INSERT and stops at the first ICMP echo reply from the node's mesh address to the hub's
 * (10.88.0.1), polled every 20 ms. Includes the reconciler's launch, the agent's start (Node.js, SQLite),
 * join, wireguard-go start and the first WireGuard handshake; also reports when the agent served and its mesh
 * came up (from its log) and when an older node first reached the new one (one heartbeat at most). Run as root after `npx tsc -p .`:
 * `node dist/test/bench/mesh-join.js`; writes the `mesh-join` section of docs/benchmarks.md.
 */
import { openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { BIN_PATH } from '../../control-plane/index.js';
import { createNetnsLab, netnsSkipReason } from '../network/netns.js';
import { tempDir, waitFor } from '../support/tmp.js';
import { machineLine, writeSection } from './metrics-report.js';

const RUNS = 5;

interface Run {
  /** ms from the INSERT to each step. */
  serving: number;
  meshUp: number;
  toHub: number;
  fromPeer: number;
  /** Agent log lines before its mesh came up other than the start line: failed join attempts. */
  retries: number;
}

async function main(): Promise<void> {
  const skip = netnsSkipReason();
  if (skip) throw new Error(`cannot run: ${skip}`);
  const tmp = tempDir('infrabase-mesh-join-');
  const lab = await createNetnsLab(RUNS + 1);
  const dataDir = join(tmp.dir, 'cp');
  const ids = lab.namespaces.slice(1);
  try {
    const configFile = join(tmp.dir, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        dataDir,
        host: '0.0.0.0',
        port: 7420,
        advertiseUrl: `http://${lab.underlayIp(0)}:7420`,
        providers: { local: { host: '0.0.0.0', launcher: ['ip', 'netns', 'exec', '{nodeId}'] } },
        reconciler: { heartbeatIntervalMs: 1000 },
        mesh: { mode: 'on', cidr: '10.88.0.0/24', topology: 'full' },
      }),
    );
    const log = openSync(join(tmp.dir, 'up.log'), 'a', 0o600);
    lab.spawn(0, process.execPath, [BIN_PATH, 'up', '--config', configFile], { stdio: ['ignore', log, log] });
    await waitFor(
      () => readFileSync(join(tmp.dir, 'up.log'), 'utf8').includes('control plane up'),
      20_000,
      50,
    );
    const db = new Database(join(dataDir, 'infrabase.db'));
    db.pragma('busy_timeout = 5000');
    const runs: Run[] = [];
    const logAt = (id: string, text: string) => {
      const line = readFileSync(join(dataDir, 'nodes', id, 'agent.log'), 'utf8')
        .split('\n')
        .find((l) => l.includes(text));
      return line ? Date.parse(line.slice(0, 24)) : Number.NaN;
    };
    const retriesBeforeMesh = (id: string) => {
      const lines = readFileSync(join(dataDir, 'nodes', id, 'agent.log'), 'utf8').split('\n');
      const up = lines.findIndex((l) => l.includes('mesh on'));
      return lines.slice(0, up).filter((l) => l.trim() && !l.includes('serving on')).length;
    };
    for (let i = 0; i < RUNS; i++) {
      const wall = Date.now();
      const t0 = performance.now();
      db.prepare("INSERT INTO sys_nodes (id, provider) VALUES (?, 'local')").run(ids[i]);
      await waitFor(() => lab.ping(i + 1, '10.88.0.1'), 60_000, 20);
      const toHub = performance.now() - t0;
      const meshIp = String(
        (db.prepare('SELECT mesh_ip FROM sys_nodes WHERE id = ?').get(ids[i]) as { mesh_ip: string }).mesh_ip,
      );
      // An older node learns of the new one with its next heartbeat reply.
      if (i > 0) await waitFor(() => lab.ping(1, meshIp), 60_000, 20);
      runs.push({
        serving: logAt(ids[i], 'serving on') - wall,
        meshUp: logAt(ids[i], 'mesh on') - wall,
        toHub,
        fromPeer: i > 0 ? performance.now() - t0 : Number.NaN,
        retries: retriesBeforeMesh(ids[i]),
      });
    }
    db.close();
    const median = (xs: number[]) => {
      const v = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
      return v.length ? v[Math.floor(v.length / 2)].toFixed(0) : '–';
    };
    const all = (xs: number[]) => xs.map((x) => (Number.isNaN(x) ? '–' : x.toFixed(0))).join(', ');
    const cols: [string, (r: Run) => number][] = [
      ['agent serving (its HTTP port listens)', (r) => r.serving],
      ['mesh interface up (join answered, wireguard-go configured)', (r) => r.meshUp],
      ['first ping node → hub over the mesh', (r) => r.toHub],
      ['first ping older node → new node (full mesh)', (r) => r.fromPeer],
    ];
    writeSection(
      'mesh-join',
      `## Mesh join: \`INSERT INTO sys_nodes\` to the first ping over the mesh

${machineLine()}
Produced by \`node dist/test/bench/mesh-join.js\` (root). \`infrabase up\` in one network namespace, each node's
agent launched by the local provider in its own namespace (\`ip netns exec\`), full mesh over wireguard-go,
heartbeat 1 s, ${RUNS} nodes inserted one after the other. Times from the INSERT (ms); pings polled every 20 ms;
the first two rows come from the agent's log (ms resolution).

| step | median (ms) | runs (ms) |
|---|---|---|
${cols.map(([name, f]) => `| ${name} | ${median(runs.map(f))} | ${all(runs.map(f))} |`).join('\n')}

Where the time goes: the agent process start (Node.js boot, loading fastify, prom-client, yaml, the ONNX
schema, better-sqlite3, opening the shard with its catalog) is most of it; the join round trip and bringing up
wireguard-go with \`wg setconf\` and \`ip\` take a few hundred ms, the first WireGuard handshake a few ms.
The node is \`ready\` with its first heartbeat, sent right after the join. Older nodes add the new peer with
their next heartbeat reply, so they reach it up to one heartbeat interval later. Failed join attempts before
the mesh came up (retry backoff in the path): ${runs.map((r) => r.retries).join(', ')}.`,
    );
    process.stdout.write(`insert to first mesh ping: ${all(runs.map((r) => r.toHub))} ms\n`);
  } finally {
    // Agents are detached; their command lines carry this run's unique node ids.
    for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
      try {
        const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
        if (ids.some((id) => argv.includes(id)) || argv.includes(join(tmp.dir, 'config.json')))
          process.kill(Number(p), 'SIGKILL');
      } catch {}
    }
    await lab.destroy();
    tmp.cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
