import { describe, expect, it } from 'vitest';
import {
  type PlacementPlan,
  type PlannerNode,
  type PlannerPlacement,
  type PlannerShard,
  planPlacements,
  seededRandom,
  shardKey,
} from '../../engine/index.js';

const node = (
  id: string,
  zone: string | null = null,
  region: string | null = null,
  state: PlannerNode['state'] = 'ready',
): PlannerNode => ({ id, zone, region, state });
const shardsOf = (group: string, n: number, rf: number, region: string | null = null): PlannerShard[] =>
  Array.from({ length: n }, (_, shard) => ({ colocationGroup: group, shard, region, replicationFactor: rf }));

/** The placements a plan leads to once every move is done and the excess is dropped. */
function apply(plan: PlacementPlan): PlannerPlacement[] {
  const out: PlannerPlacement[] = [];
  for (const [k, nodes] of plan.desired) {
    const i = k.lastIndexOf('/');
    for (const n of nodes)
      out.push({ colocationGroup: k.slice(0, i), shard: Number(k.slice(i + 1)), nodeId: n, inSync: true });
  }
  return out;
}

function counts(placements: readonly PlannerPlacement[], nodes: readonly PlannerNode[]): number[] {
  const c = new Map(nodes.filter((n) => n.state === 'ready').map((n) => [n.id, 0]));
  for (const p of placements) c.set(p.nodeId, (c.get(p.nodeId) ?? 0) + 1);
  return [...c.values()];
}

/** Checks the plan's rules hold; returns the placements after it. */
function checkPlan(
  nodes: PlannerNode[],
  shards: PlannerShard[],
  current: PlannerPlacement[],
  plan: PlacementPlan,
) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const s of shards) {
    const want = plan.desired.get(shardKey(s.colocationGroup, s.shard))!;
    const eligible = nodes.filter((n) => n.state === 'ready' && (s.region === null || n.region === s.region));
    expect(new Set(want).size).toBe(want.length);
    expect(want.length).toBe(Math.min(s.replicationFactor, eligible.length));
    for (const n of want) {
      expect(byId.get(n)!.state).toBe('ready');
      if (s.region !== null) expect(byId.get(n)!.region).toBe(s.region);
    }
    const zones = new Set(eligible.map((n) => n.zone ?? n.id));
    expect(new Set(want.map((n) => byId.get(n)!.zone ?? n)).size).toBe(Math.min(want.length, zones.size));
  }
  // Every move's target is a desired node not held now; a move's source is held now and not desired.
  for (const m of plan.moves) {
    const k = shardKey(m.colocationGroup, m.shard);
    expect(plan.desired.get(k)).toContain(m.target);
    expect(current.some((p) => shardKey(p.colocationGroup, p.shard) === k && p.nodeId === m.target)).toBe(
      false,
    );
    if (m.source) expect(plan.desired.get(k)).not.toContain(m.source);
  }
  return apply(plan);
}

describe('planPlacements', () => {
  it('places 32 shards at replication factor 2 on 4 nodes: 16 each, distinct nodes per shard', () => {
    const nodes = ['a', 'b', 'c', 'd'].map((id) => node(`n-${id}`));
    const plan = planPlacements(nodes, shardsOf('t', 32, 2), []);
    const after = checkPlan(nodes, shardsOf('t', 32, 2), [], plan);
    expect(counts(after, nodes)).toEqual([16, 16, 16, 16]);
    expect(plan.moves.every((m) => m.kind === 'replicate')).toBe(true);
    expect(plan.moves).toHaveLength(64);
  });

  it('a joining 5th node receives its share (counts within one) by moves, and nothing else moves', () => {
    const four = ['a', 'b', 'c', 'd'].map((id) => node(`n-${id}`));
    const shards = shardsOf('t', 32, 2);
    const current = apply(planPlacements(four, shards, []));
    const five = [...four, node('n-e')];
    const plan = planPlacements(five, shards, current);
    const after = checkPlan(five, shards, current, plan);
    const c = counts(after, five);
    expect(Math.max(...c) - Math.min(...c)).toBeLessThanOrEqual(1);
    expect(plan.moves.every((m) => m.kind === 'move' && m.target === 'n-e')).toBe(true);
    expect(plan.moves).toHaveLength(after.filter((p) => p.nodeId === 'n-e').length);
    expect(plan.moves.length).toBeGreaterThanOrEqual(12);
    expect(plan.moves.length).toBeLessThanOrEqual(13);
  });

  it('a draining node loses every copy, each as a move whose source is the drained copy', () => {
    const nodes = ['a', 'b', 'c', 'd'].map((id) => node(`n-${id}`));
    const shards = shardsOf('t', 16, 2);
    const current = apply(planPlacements(nodes, shards, []));
    const draining = nodes.map((n) => (n.id === 'n-b' ? { ...n, state: 'draining' as const } : n));
    const plan = planPlacements(draining, shards, current);
    const after = checkPlan(draining, shards, current, plan);
    expect(after.some((p) => p.nodeId === 'n-b')).toBe(false);
    const held = current.filter((p) => p.nodeId === 'n-b').length;
    expect(plan.moves.filter((m) => m.source === 'n-b')).toHaveLength(held);
    const c = counts(after, draining);
    expect(Math.max(...c) - Math.min(...c)).toBeLessThanOrEqual(1);
  });

  it('a dead node’s copies are re-replicated (no source on the dead node), urgent moves first', () => {
    const nodes = ['a', 'b', 'c'].map((id) => node(`n-${id}`));
    const shards = shardsOf('t', 6, 2);
    const current = apply(planPlacements(nodes, shards, [])).map((p) => ({
      ...p,
      inSync: p.nodeId !== 'n-a',
    }));
    const dead = nodes.map((n) => (n.id === 'n-a' ? { ...n, state: 'dead' as const } : n));
    const plan = planPlacements(dead, shards, current);
    checkPlan(dead, shards, current, plan);
    expect(plan.moves.some((m) => m.source === 'n-a')).toBe(false);
    expect(plan.moves.filter((m) => m.kind === 'replicate').length).toBe(
      current.filter((p) => p.nodeId === 'n-a').length,
    );
  });

  it('spreads each shard over zones before balancing counts', () => {
    const nodes = [node('n-a', 'z1'), node('n-b', 'z1'), node('n-c', 'z2'), node('n-d', 'z2')];
    const plan = planPlacements(nodes, shardsOf('t', 8, 2), []);
    for (const ns of plan.desired.values()) {
      expect(new Set(ns.map((n) => nodes.find((x) => x.id === n)!.zone)).size).toBe(2);
    }
  });

  it('pinned shards stay on their region, through a join and a drain', () => {
    const nodes = [
      node('n-a', null, 'eu-west'),
      node('n-b', null, 'eu-west'),
      node('n-c', null, 'us-east'),
      node('n-d', null, 'us-east'),
    ];
    const shards = [...shardsOf('p', 4, 2, 'eu-west'), ...shardsOf('q', 4, 2, 'us-east')];
    let current = apply(planPlacements(nodes, shards, []));
    const joined = [...nodes, node('n-e', null, 'eu-west')];
    current = checkPlan(joined, shards, current, planPlacements(joined, shards, current));
    const drained = joined.map((n) => (n.id === 'n-a' ? { ...n, state: 'draining' as const } : n));
    current = checkPlan(drained, shards, current, planPlacements(drained, shards, current));
    for (const p of current) {
      const want = p.colocationGroup === 'p' ? 'eu-west' : 'us-east';
      expect(joined.find((n) => n.id === p.nodeId)!.region).toBe(want);
    }
  });

  it('reports a shortfall when the ready nodes cannot hold the replication factor', () => {
    const plan = planPlacements([node('n-a')], shardsOf('t', 2, 2), []);
    expect(plan.shortfalls).toEqual([
      {
        colocationGroup: 't',
        shard: 0,
        have: 1,
        want: 2,
        reason: '1 ready data node(s) for replication factor 2',
      },
      {
        colocationGroup: 't',
        shard: 1,
        have: 1,
        want: 2,
        reason: '1 ready data node(s) for replication factor 2',
      },
    ]);
    const pinned = planPlacements([node('n-a', null, 'eu')], shardsOf('p', 1, 1, 'us'), []);
    expect(pinned.shortfalls[0].reason).toMatch(/0 ready data node\(s\) in region us/);
  });

  it('a lowered replication factor leaves the extra copies as excess, not moves', () => {
    const nodes = ['a', 'b', 'c'].map((id) => node(`n-${id}`));
    const current = apply(planPlacements(nodes, shardsOf('t', 3, 3), []));
    const plan = planPlacements(nodes, shardsOf('t', 3, 2), current);
    expect(plan.moves).toEqual([]);
    expect(plan.excess).toHaveLength(3);
  });

  it('reference shards go to every ready node', () => {
    const nodes = ['a', 'b', 'c'].map((id) => node(`n-${id}`));
    const plan = planPlacements(
      nodes,
      [{ colocationGroup: 'reference', shard: 0, region: null, replicationFactor: 1, reference: true }],
      [],
    );
    expect(plan.desired.get('reference/0')).toEqual(['n-a', 'n-b', 'n-c']);
  });

  it('property: for 300 seeded random clusters the rules hold, a second plan is a no-op (nothing moves needlessly), and unpinned counts are within one', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rnd = seededRandom(seed);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
      const zoned = rnd() < 0.5;
      const nodes: PlannerNode[] = Array.from({ length: 1 + Math.floor(rnd() * 7) }, (_, i) =>
        node(
          `n-${i}`,
          zoned ? pick(['z1', 'z2', 'z3']) : null,
          null,
          pick(['ready', 'ready', 'ready', 'draining', 'dead']),
        ),
      );
      const shards = [
        ...shardsOf('a', 1 + Math.floor(rnd() * 16), 1 + Math.floor(rnd() * 3)),
        ...shardsOf('b', 1 + Math.floor(rnd() * 16), 1 + Math.floor(rnd() * 3)),
      ];
      const current: PlannerPlacement[] = [];
      for (const s of shards) {
        for (const n of nodes)
          if (rnd() < 0.4)
            current.push({
              colocationGroup: s.colocationGroup,
              shard: s.shard,
              nodeId: n.id,
              inSync: rnd() < 0.8,
            });
      }
      const plan = planPlacements(nodes, shards, current);
      const after = checkPlan(nodes, shards, current, plan);
      const again = planPlacements(nodes, shards, after);
      expect(again.moves, `seed ${seed}`).toEqual([]);
      expect(again.excess, `seed ${seed}`).toEqual([]);
      if (!zoned) {
        const c = counts(after, nodes);
        if (c.length) expect(Math.max(...c) - Math.min(...c), `seed ${seed}`).toBeLessThanOrEqual(1);
      }
    }
  });
});
