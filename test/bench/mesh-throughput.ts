/**
 * The WireGuard mesh on this machine: TCP throughput over wireguard-go between two network namespaces versus
 * the bare veth/bridge link under it, and the time from interface creation to the first successful ping.
 * Needs root, ip, wg, wireguard-go and ping. Traffic stays inside namespaces this script creates.
 * Run from the repo root: `npx tsc -p . && node dist/test/bench/mesh-throughput.js`; writes the `mesh`
 * section of docs/benchmarks.md.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NodeKeyStore, planPeers, WireGuardDriver } from '../../network/index.js';
import { createNetnsLab, type NetnsLab, netnsSkipReason } from '../network/netns.js';
import { tempDir } from '../support/tmp.js';
import { machineLine, writeSection } from './metrics-report.js';

const BYTES = 200 * 1024 * 1024;
const PORT = 51820;
const TCP_PORT = 5201;
const RUNS = 3;
const UP_RUNS = 5;

const SINK = `
const net = require('node:net');
const server = net.createServer((s) => {
  let n = 0, t0 = 0n;
  s.on('data', (d) => { if (!t0) t0 = process.hrtime.bigint(); n += d.length; });
  s.on('end', () => {
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    process.stdout.write(JSON.stringify({ bytes: n, ms }) + '\\n');
    s.end(() => process.exit(0));
  });
});
server.listen(${TCP_PORT}, process.argv[1], () => process.stdout.write('ready\\n'));
setTimeout(() => process.exit(2), 120000).unref();
`;

const SOURCE = `
const net = require('node:net');
const chunk = Buffer.alloc(1 << 20, 7);
let left = Number(process.argv[2]);
const s = net.connect(${TCP_PORT}, process.argv[1], () => {
  const pump = () => { while (left > 0) { left -= chunk.length; if (!s.write(chunk)) return s.once('drain', pump); } s.end(); };
  pump();
});
s.on('close', () => process.exit(0));
s.on('error', (e) => { console.error(e.message); process.exit(1); });
`;

/** One bounded transfer of BYTES from member 0 to member 1's `address`; MB/s as the receiver measured it. */
async function transfer(lab: NetnsLab, address: string): Promise<number> {
  const sink = lab.spawn(1, process.execPath, ['-e', SINK, address], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let wake: () => void = () => {};
  sink.stdout?.setEncoding('utf8').on('data', (d: string) => {
    lines.push(...d.split('\n').filter(Boolean));
    wake();
  });
  const next = async (): Promise<string> => {
    while (lines.length === 0) {
      if (sink.exitCode !== null) throw new Error(`sink exited with ${sink.exitCode}`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 200);
      });
    }
    return lines.shift() as string;
  };
  if ((await next()) !== 'ready') throw new Error('sink did not start');
  await lab.exec(0, process.execPath, ['-e', SOURCE, address, String(BYTES)], { timeoutMs: 120_000 });
  const { bytes, ms } = JSON.parse(await next()) as { bytes: number; ms: number };
  if (bytes < BYTES) throw new Error(`sink got ${bytes} of ${BYTES} bytes`);
  return bytes / 1e6 / (ms / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const skip = netnsSkipReason();
  if (skip) {
    console.error(`mesh benchmark skipped: ${skip}`);
    process.exitCode = 1;
    return;
  }
  const tmp = tempDir('infrabase-mesh-bench-');
  const lab = await createNetnsLab(2);
  const drivers: WireGuardDriver[] = [];
  try {
    const stores = [0, 1].map((i) => {
      const dir = join(tmp.dir, `n${i}`);
      mkdirSync(dir);
      return new NodeKeyStore(dir);
    });
    const members = [0, 1].map((i) => ({
      id: `m${i}`,
      meshIp: `10.88.0.${i + 1}`,
      publicKey: stores[i].current().publicKey,
      endpoint: `${lab.underlayIp(i)}:${PORT}`,
    }));
    const peersOf = (i: number) =>
      planPeers({
        topology: 'full',
        cidr: '10.88.0.0/24',
        hub: members[0],
        members: [members[1]],
        self: `m${i}`,
        now: 0,
      });

    // Time from interface creation (both sides) to the first echo reply over the mesh.
    const upMs: number[] = [];
    for (let run = 0; run < UP_RUNS; run++) {
      const pair = [0, 1].map(
        (i) =>
          new WireGuardDriver({
            ifname: lab.ifname(i, `u${run}x`),
            implementation: 'userspace',
            netns: lab.namespaces[i],
          }),
      );
      drivers.push(...pair);
      const t0 = performance.now();
      await Promise.all(
        pair.map((d, i) =>
          d.up({
            address: `${members[i].meshIp}/24`,
            listenPort: PORT,
            privateKeyFile: stores[i].currentPath,
            peers: peersOf(i),
          }),
        ),
      );
      let ok = false;
      for (let attempt = 0; attempt < 100 && !ok; attempt++) ok = await lab.ping(0, members[1].meshIp);
      if (!ok) throw new Error('no ping over the mesh after 100 attempts');
      upMs.push(performance.now() - t0);
      if (run < UP_RUNS - 1) for (const d of pair) await d.down();
    }

    const bare: number[] = [];
    const mesh: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      bare.push(await transfer(lab, lab.underlayIp(1)));
      mesh.push(await transfer(lab, members[1].meshIp));
    }
    const fmt = (x: number) => x.toFixed(0);
    writeSection(
      'mesh',
      `## WireGuard mesh (wireguard-go in network namespaces)

${machineLine()}
Produced by \`node dist/test/bench/mesh-throughput.js\` (root). Two namespaces joined by veth pairs through a
bridge; wireguard-go (userspace, Debian package) on both ends, MTU 1420; one TCP stream of ${BYTES / 1024 / 1024} MiB
written by a Node.js client, rate measured by the receiver from first to last byte; median of ${RUNS} runs.

| path | throughput (MB/s) | runs |
|---|---|---|
| bare veth + bridge (underlay addresses) | ${fmt(median(bare))} | ${bare.map(fmt).join(', ')} |
| WireGuard mesh over the same link (mesh addresses) | ${fmt(median(mesh))} | ${mesh.map(fmt).join(', ')} |

| interface creation (wireguard-go start, setconf, address, link up on both ends) to first ping reply | ms |
|---|---|
| median of ${UP_RUNS} | ${median(upMs).toFixed(0)} |
| all runs | ${upMs.map((x) => x.toFixed(0)).join(', ')} |

The time from \`INSERT INTO sys_nodes\` to the first ping needs the node agent and the join route; it is not
measured yet.`,
    );
  } finally {
    for (const d of drivers) await d.down().catch(() => {});
    await lab.destroy();
    tmp.cleanup();
  }
}

await main();
