/**
 * Benchmark: time from `INSERT INTO sys_nodes` to the first successful ping over the mesh. `infrabase up` runs
 * in one network namespace, its local provider launches each agent in another (`ip netns exec`); the clock
 * starts at the INSERT and stops at the first ICMP echo reply from the node's mesh address to the hub's
 * (10.88.0.1), polled every 20 ms. Includes the reconciler's launch, the agent's start (Node.js, SQLite),
 * join, wireguard-go start and the first WireGuard handshake; also reports when the agent served and its mesh
 * came up (from its log) and when an older node first reached the new one (one heartbeat at most). Run as
 * root after `npx tsc -p .`: `node dist/test/bench/mesh-join.js`; writes the `mesh-join` section of docs/benchmarks.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { meshClusterSkipReason, startMeshCluster } from '../network/mesh-cluster.js';
import { waitFor } from '../support/tmp.js';
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
  const skip = meshClusterSkipReason();
  if (skip) throw new Error(`cannot run: ${skip}`);
  const cluster = await startMeshCluster({
    topology: 'full',
    nodes: RUNS,
    heartbeatMs: 1000,
    prefix: 'infrabase-mesh-join-',
  });
  const { lab, dataDir } = cluster;
  const ids = cluster.ids.slice(1);
  try {
    const db = cluster.db;
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
      // An older node learns of the new one with its next heartbeat reply. Polling its peer list first: a ping
      // to an address without a peer waits out its whole 1 s deadline.
      const key = String(cluster.row(ids[i]).wg_public_key);
      if (i > 0) {
        await waitFor(async () => (await cluster.peerKeys(1)).includes(key), 60_000, 20);
        await waitFor(() => lab.ping(1, meshIp), 60_000, 20);
      }
      runs.push({
        serving: logAt(ids[i], 'serving on') - wall,
        meshUp: logAt(ids[i], 'mesh on') - wall,
        toHub,
        fromPeer: i > 0 ? performance.now() - t0 : Number.NaN,
        retries: retriesBeforeMesh(ids[i]),
      });
    }
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
schema, better-sqlite3, opening the shard with its catalog; row 1) is most of it. From there the join round
trip, wireguard-go's start, \`wg setconf\` and \`ip\` (rows 1 → 2), then the first WireGuard handshake and echo
(rows 2 → 3) take the rest. The node is \`ready\` with its first heartbeat, sent right after the join. Older
nodes add the new peer with their next heartbeat reply (row 4: at most one heartbeat interval after row 2).
Failed join attempts before the mesh came up (retry backoff in the path): ${runs.map((r) => r.retries).join(', ')}.`,
    );
    process.stdout.write(`insert to first mesh ping: ${all(runs.map((r) => r.toHub))} ms\n`);
  } finally {
    // Stops the agents and the control plane with SIGTERM (they take their WireGuard interfaces down), then
    // removes the namespaces and the temp dir.
    await cluster.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
