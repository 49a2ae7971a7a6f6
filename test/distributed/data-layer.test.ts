import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DistributedDataLayer } from '../../engine/index.js';
import { Sim } from './simulation.js';

let sim: Sim;
let layer: DistributedDataLayer;
const errors: unknown[] = [];

beforeEach(() => {
  sim = new Sim();
  sim.addNode('n-a');
  sim.addNode('n-b');
  errors.length = 0;
  layer = new DistributedDataLayer(
    sim.db,
    sim.clock,
    sim.transport,
    { intervalMs: 5, maxConcurrentMoves: 2, nodeDeadAfterMs: 30_000, moveBytesPerSecond: 0 },
    (err) => errors.push(err),
  );
});
afterEach(async () => {
  await layer.stop();
  sim.close();
});

/** Polls (real time, 10 s deadline) until `done`. */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const placed = (name: string) => {
  const p = layer.store.placementProgress(name);
  return p.schemaApplied && p.unavailableShards === 0;
};

describe('DistributedDataLayer', () => {
  it('its rebalancer loop places a new table on the nodes, and stops passing once stopped', async () => {
    layer.start();
    layer.store.createTable({ name: 't', columns: [{ name: 'k', type: 'TEXT' }], shardCount: 4 });
    await until(() => placed('t'));
    expect(layer.store.placements('t').filter((p) => p.state === 'in_sync')).toHaveLength(8);
    await layer.stop();
    layer.store.createTable({ name: 'u', columns: [{ name: 'k', type: 'TEXT' }], shardCount: 4 });
    await new Promise((r) => setTimeout(r, 50));
    expect(layer.store.placements('u')).toHaveLength(0);
    expect(errors).toEqual([]);
  });

  it('the termination gate refuses a node that holds in-sync placements', async () => {
    layer.start();
    layer.store.createTable({ name: 't', columns: [{ name: 'k', type: 'TEXT' }], shardCount: 2 });
    await until(() => placed('t'));
    expect(layer.mayTerminate('n-a')).toMatchObject({ ok: false });
  });
});
