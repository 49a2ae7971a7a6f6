/**
 * Benchmark: time from `INSERT INTO sys_nodes` to the first successful ping over the mesh. `infrabase up` runs
 * in one network namespace, its local provider launches each agent in another (`ip netns exec`); the clock
 * starts at the INSERT and stops at the first ICMP echo reply from the node's mesh address to the hub's
 * (10.88.0.1), polled every 20 ms. Includes the reconciler's launch, the agent's start (Node.js, SQLite),
 * join, wireguard-go start and the first WireGuard handshake. Run as root after `npx tsc -p .`:
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

const RUNS = 3;

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
    const ms: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      db.prepare("INSERT INTO sys_nodes (id, provider) VALUES (?, 'local')").run(ids[i]);
      await waitFor(() => lab.ping(i + 1, '10.88.0.1'), 60_000, 20);
      ms.push(performance.now() - t0);
    }
    db.close();
    const sorted = [...ms].sort((a, b) => a - b);
    writeSection(
      'mesh-join',
      `## Mesh join: \`INSERT INTO sys_nodes\` to the first ping over the mesh

${machineLine()}
Produced by \`node dist/test/bench/mesh-join.js\` (root). \`infrabase up\` in one network namespace, each node's
agent launched by the local provider in its own namespace (\`ip netns exec\`), full mesh over wireguard-go,
heartbeat 1 s. From the INSERT to the first echo reply from the node to the hub's mesh address (polled every
20 ms): reconciler launch, agent start, join, wireguard-go start, first handshake.

| runs | median (ms) | all runs (ms) |
|---|---|---|
| ${RUNS} | ${sorted[Math.floor(RUNS / 2)].toFixed(0)} | ${ms.map((x) => x.toFixed(0)).join(', ')} |`,
    );
    process.stdout.write(`insert to first mesh ping: ${ms.map((x) => x.toFixed(0)).join(', ')} ms\n`);
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
