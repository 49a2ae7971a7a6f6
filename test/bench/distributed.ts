import { performance } from 'node:perf_hooks';
import { parse } from 'csv-parse/sync';
import { Sim } from '../distributed/simulation.js';
import { ADULT_CSV, readDataFile } from '../support/data.js';
import { machineLine, writeSection } from './metrics-report.js';

const records = parse(readDataFile(ADULT_CSV), { ltrim: true }) as string[][];
const header = records[0].map((h) => h.trim());
const numeric = header.map((_, j) => records.slice(1, 200).every((r) => Number.isFinite(Number(r[j]))));
const rows = records.slice(1).map((r) => r.map((v, j) => (numeric[j] ? Number(v) : v)));
const BATCH = 500;
const BATCHES = 40;

async function cluster(nodes: number, rf: number, shards: number): Promise<Sim> {
  const sim = new Sim({ maxConcurrentMoves: 2 });
  for (let i = 0; i < nodes; i++) sim.addNode(`n-${i}`);
  sim.db
    .prepare(
      'INSERT INTO sys_distributed_tables (name, columns, shard_count, replication_factor) VALUES (?, ?, ?, ?)',
    )
    .run(
      'adult',
      JSON.stringify(header.map((name, j) => ({ name, type: numeric[j] ? 'INTEGER' : 'TEXT' }))),
      shards,
      rf,
    );
  await sim.settle();
  return sim;
}

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length * 0.99) - 1];
const lines: string[] = [];

lines.push('| replication factor | rows/s | p99 per acknowledged batch of 500 rows (ms) |', '|---|---|---|');
for (const rf of [1, 2, 3]) {
  const sim = await cluster(4, rf, 16);
  const lat: number[] = [];
  const t0 = performance.now();
  for (let b = 0; b < BATCHES; b++) {
    const s = performance.now();
    await sim.coordinator.insert('adult', header, rows.slice(b * BATCH, (b + 1) * BATCH));
    lat.push(performance.now() - s);
  }
  const secs = (performance.now() - t0) / 1000;
  lines.push(`| ${rf} | ${Math.round((BATCH * BATCHES) / secs)} | ${p99(lat).toFixed(1)} |`);
  sim.close();
}

// Moves: 4 nodes at RF 2 holding all of Adult, a 5th joins; time until placements settle.
const sim = await cluster(4, 2, 16);
for (let i = 0; i < rows.length; i += 2000)
  await sim.coordinator.insert('adult', header, rows.slice(i, i + 2000));
sim.addNode('n-4');
let t0 = performance.now();
await sim.settle(1000);
const moveSecs = (performance.now() - t0) / 1000;
const moved = sim.db
  .prepare(
    "SELECT count(*) AS n, total(bytes) AS b FROM sys_shard_moves WHERE state = 'done' AND kind = 'move'",
  )
  .get() as { n: number; b: number };
// DELETE → termination allowed.
sim.deleteNode('n-0');
const held = sim.store.placements().filter((p) => p.nodeId === 'n-0');
let heldBytes = 0;
for (const p of held) heldBytes += (await sim.transport.digest('n-0', p.colocationGroup, p.shard)).bytes;
t0 = performance.now();
while (!sim.rebalancer.mayTerminate('n-0').ok) await sim.rebalancer.pass();
const drainSecs = (performance.now() - t0) / 1000;
sim.close();

writeSection(
  'distributed',
  `## Distributed tables (in-process placement files)
${machineLine()} Four data nodes as placement-file directories in one process (the seeded simulation's
transport: real SQLite files with synchronous=FULL, real backup-API copies and log catch-up; no HTTP), Adult
rows, 16 shards hashed by \`_row\`, ${BATCHES} batches of ${BATCH} rows. A batch is acknowledged once every
in-sync copy of each touched shard has applied it. Run: \`npm run bench -- distributed\`.

${lines.join('\n')}

Scale-out: all of Adult (${rows.length} rows) at replication factor 2 on 4 nodes; a 5th node joined and
received ${moved.n} shard copies (${(moved.b / 1e6).toFixed(1)} MB) in ${moveSecs.toFixed(2)} s:
${(moved.b / 1e6 / moveSecs).toFixed(1)} MB/s (2 moves at a time, including the rebalancer's passes).

DELETE of a data node holding ${held.length} in-sync copies (${(heldBytes / 1e6).toFixed(1)} MB): ${drainSecs.toFixed(2)} s until the data
layer lets autoinfra terminate it (the machine's termination itself is not included).`,
);
