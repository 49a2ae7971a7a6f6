/**
 * The rebalancer's pure core: from the data nodes, the shards and where their copies are now, the placements
 * that should exist and the fewest copy steps that get there (docs/distributed-tables.md, "Rebalancer").
 * Rules, in priority order:
 * 1. a shard has `replicationFactor` placements (every eligible node for a reference shard) on distinct
 *    `ready` nodes; a pinned shard only on nodes of its region;
 * 2. a shard's placements spread over as many zones as its eligible nodes offer;
 * 3. per-node placement counts differ by at most one among nodes that can hold the same shards (bytes break
 *    ties when known);
 * 4. a current placement is kept unless a rule above needs it gone: the fewest moves.
 * Deterministic: the same input gives the same plan.
 */

/** A data node as the planner sees it: `draining` (being deleted) and `dead` nodes get no placement. */
export interface PlannerNode {
  readonly id: string;
  readonly zone: string | null;
  readonly region: string | null;
  readonly state: 'ready' | 'draining' | 'dead';
}

/** A shard to place. */
export interface PlannerShard {
  readonly colocationGroup: string;
  readonly shard: number;
  /** Pinned region (only nodes of this region), or null. */
  readonly region: string | null;
  readonly replicationFactor: number;
  /** A reference shard has a copy on every eligible node. */
  readonly reference?: boolean;
  /** Size of one copy, bytes, when known. */
  readonly bytes?: number;
}

/** A copy that exists (or is being made). `inSync` false for copies still copying or catching up. */
export interface PlannerPlacement {
  readonly colocationGroup: string;
  readonly shard: number;
  readonly nodeId: string;
  readonly inSync: boolean;
}

/** One step: copy a shard to `target`; for `move`, drop the copy on `source` once the target is in sync. */
export interface PlannedMove {
  readonly colocationGroup: string;
  readonly shard: number;
  readonly kind: 'move' | 'replicate';
  readonly target: string;
  readonly source?: string;
}

export interface PlacementPlan {
  /** Desired nodes per shard, key `group/shard`, sorted by node id. */
  readonly desired: ReadonlyMap<string, readonly string[]>;
  /** Copies to make, in a deterministic order (under-replicated shards first). */
  readonly moves: readonly PlannedMove[];
  /** Copies on ready nodes that no rule needs (replication factor lowered): to be dropped. */
  readonly excess: readonly { colocationGroup: string; shard: number; nodeId: string }[];
  /** Shards that cannot get their replication factor from the eligible nodes, and why. */
  readonly shortfalls: readonly {
    colocationGroup: string;
    shard: number;
    have: number;
    want: number;
    reason: string;
  }[];
}

/** `group/shard`: the key of a shard in plans. */
export const shardKey = (group: string, shard: number): string => `${group}/${shard}`;

interface Work {
  readonly s: PlannerShard;
  readonly eligible: PlannerNode[];
  readonly want: number;
  nodes: string[];
}

/** Plans the desired placements. Pure. See the module comment for the rules. */
export function planPlacements(
  nodes: readonly PlannerNode[],
  shards: readonly PlannerShard[],
  current: readonly PlannerPlacement[],
): PlacementPlan {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const ready = [...nodes].filter((n) => n.state === 'ready').sort((a, b) => cmp(a.id, b.id));
  const currentBy = new Map<string, PlannerPlacement[]>();
  for (const p of current) {
    const k = shardKey(p.colocationGroup, p.shard);
    const list = currentBy.get(k) ?? [];
    list.push(p);
    currentBy.set(k, list);
  }
  const count = new Map(ready.map((n) => [n.id, 0]));
  const bytes = new Map(ready.map((n) => [n.id, 0]));
  const add = (w: Work, node: string, sign: 1 | -1) => {
    count.set(node, (count.get(node) ?? 0) + sign);
    bytes.set(node, (bytes.get(node) ?? 0) + sign * (w.s.bytes ?? 0));
  };

  const ordered = [...shards].sort((a, b) => cmp(a.colocationGroup, b.colocationGroup) || a.shard - b.shard);
  const work: Work[] = [];
  const excess: { colocationGroup: string; shard: number; nodeId: string }[] = [];
  for (const s of ordered) {
    const eligible = ready.filter((n) => s.region === null || n.region === s.region);
    const want = s.reference ? eligible.length : Math.min(s.replicationFactor, eligible.length);
    const eligibleIds = new Set(eligible.map((n) => n.id));
    // Keep current copies on eligible nodes, in-sync ones first, then by id; the rest beyond `want` is excess.
    const kept = (currentBy.get(shardKey(s.colocationGroup, s.shard)) ?? [])
      .filter((p) => eligibleIds.has(p.nodeId))
      .sort((a, b) => Number(b.inSync) - Number(a.inSync) || cmp(a.nodeId, b.nodeId));
    const w: Work = { s, eligible, want, nodes: [] };
    for (const p of kept) {
      if (w.nodes.length < want && !w.nodes.includes(p.nodeId)) {
        w.nodes.push(p.nodeId);
        add(w, p.nodeId, 1);
      }
    }
    work.push(w);
  }

  const zonesOf = (w: Work, without?: string) =>
    new Set(w.nodes.filter((n) => n !== without).map((n) => byId.get(n)?.zone ?? `node:${n}`));
  const load = (id: string) => [count.get(id) ?? 0, bytes.get(id) ?? 0] as const;
  const lighter = (a: PlannerNode, b: PlannerNode) => {
    const [ca, ba] = load(a.id);
    const [cb, bb] = load(b.id);
    return ca - cb || ba - bb || cmp(a.id, b.id);
  };

  // Fill: each missing copy goes to the lightest eligible node, preferring a zone the shard lacks.
  for (const w of work) {
    while (w.nodes.length < w.want) {
      const zones = zonesOf(w);
      const candidates = w.eligible.filter((n) => !w.nodes.includes(n.id));
      candidates.sort(
        (a, b) =>
          Number(zones.has(a.zone ?? `node:${a.id}`)) - Number(zones.has(b.zone ?? `node:${b.id}`)) ||
          lighter(a, b),
      );
      const pick = candidates[0];
      w.nodes.push(pick.id);
      add(w, pick.id, 1);
    }
  }

  // Zone repair: a kept copy may share a zone with another while an eligible zone is unused.
  for (const w of work) {
    const zoneOf = (id: string) => byId.get(id)?.zone ?? `node:${id}`;
    const reachable = new Set(w.eligible.map((n) => zoneOf(n.id))).size;
    while (zonesOf(w).size < Math.min(w.nodes.length, reachable)) {
      const used = zonesOf(w);
      const dupZones = new Set(w.nodes.map(zoneOf).filter((z, i, all) => all.indexOf(z) !== i));
      const out = w.nodes
        .filter((n) => dupZones.has(zoneOf(n)))
        .map((n) => byId.get(n)!)
        .sort((a, b) => -lighter(a, b))[0];
      const into = w.eligible.filter((n) => !used.has(zoneOf(n.id))).sort(lighter)[0];
      w.nodes = w.nodes.map((n) => (n === out.id ? into.id : n));
      add(w, out.id, -1);
      add(w, into.id, 1);
    }
  }

  // Balance: move one copy from a heavier to a lighter node while the counts differ by more than one and the
  // shard keeps its zone spread. Each step lowers the sum of squared counts, so this ends.
  for (;;) {
    let moved = false;
    const heavy = [...ready].sort((a, b) => -lighter(a, b));
    const light = [...ready].sort(lighter);
    search: for (const h of heavy) {
      for (const l of light) {
        if ((count.get(h.id) ?? 0) - (count.get(l.id) ?? 0) <= 1) break;
        for (const w of work) {
          if (!w.nodes.includes(h.id) || w.nodes.includes(l.id)) continue;
          if (!w.eligible.some((n) => n.id === l.id)) continue;
          const before = zonesOf(w).size;
          const after = new Set([...zonesOf(w, h.id), l.zone ?? `node:${l.id}`]).size;
          if (after < before) continue;
          w.nodes = w.nodes.map((n) => (n === h.id ? l.id : n));
          add(w, h.id, -1);
          add(w, l.id, 1);
          moved = true;
          break search;
        }
      }
    }
    if (!moved) break;
  }

  // Moves: each desired copy not held now. Pair it with a copy that goes away (a drained, dead or rebalanced
  // node) as a `move` whose source is in sync; otherwise `replicate`.
  const desired = new Map<string, readonly string[]>();
  const moves: PlannedMove[] = [];
  const shortfalls: PlacementPlan['shortfalls'][number][] = [];
  const urgent: PlannedMove[] = [];
  for (const w of work) {
    const k = shardKey(w.s.colocationGroup, w.s.shard);
    const nodesSorted = [...w.nodes].sort(cmp);
    desired.set(k, nodesSorted);
    const now = currentBy.get(k) ?? [];
    const held = new Set(now.map((p) => p.nodeId));
    const leaving = now
      .filter((p) => p.inSync && !w.nodes.includes(p.nodeId) && byId.get(p.nodeId)?.state !== 'dead')
      .map((p) => p.nodeId)
      .sort(cmp);
    const sources = new Set<string>();
    const inSyncKept = now.filter((p) => p.inSync && w.nodes.includes(p.nodeId)).length;
    for (const target of nodesSorted) {
      if (held.has(target)) continue;
      const source = leaving.shift();
      if (source) sources.add(source);
      const m: PlannedMove = source
        ? { colocationGroup: w.s.colocationGroup, shard: w.s.shard, kind: 'move', target, source }
        : { colocationGroup: w.s.colocationGroup, shard: w.s.shard, kind: 'replicate', target };
      (inSyncKept < w.want ? urgent : moves).push(m);
    }
    for (const p of now) {
      if (w.nodes.includes(p.nodeId) || sources.has(p.nodeId)) continue;
      if (byId.get(p.nodeId)?.state !== 'ready') continue;
      excess.push({ colocationGroup: w.s.colocationGroup, shard: w.s.shard, nodeId: p.nodeId });
    }
    const want = w.s.reference ? w.eligible.length : w.s.replicationFactor;
    if (w.nodes.length < want || want === 0) {
      shortfalls.push({
        colocationGroup: w.s.colocationGroup,
        shard: w.s.shard,
        have: w.nodes.length,
        want: Math.max(want, 1),
        reason:
          w.s.region === null
            ? `${w.eligible.length} ready data node(s) for replication factor ${w.s.replicationFactor}`
            : `${w.eligible.length} ready data node(s) in region ${w.s.region} for replication factor ${w.s.replicationFactor}`,
      });
    }
  }
  return { desired, moves: [...urgent, ...moves], excess, shortfalls };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
