/** One shard as the primary balancer sees it: its current primary and its in-sync copies' nodes. */
export interface PrimaryShard {
  readonly key: string;
  readonly primary: string | null;
  readonly inSync: readonly string[];
}

/**
 * Which shards should hand their primary role to another in-sync copy so that primaries spread evenly over
 * the `eligible` nodes (ready, not draining): reads, UPDATE/DELETE evaluation and federated training run on
 * primaries, so a node holding most of them does most of the work. Pure and deterministic.
 * Greedy: a shard whose primary is on a node with at least two more primaries than one of its other in-sync
 * copies' nodes (or on a node that is not eligible) hands it to the eligible copy whose node has the fewest,
 * until no such shard is left. Each handoff lowers the sum of squared counts, so it ends; in the common case
 * (every node holds copies of many shards) counts per node then differ by at most one.
 * @returns shard key → the node that should be its primary, for the shards that should change.
 */
export function planPrimaries(
  shards: readonly PrimaryShard[],
  eligible: readonly string[],
): Map<string, string> {
  const ok = new Set(eligible);
  const count = new Map(eligible.map((n) => [n, 0]));
  const primary = new Map<string, string | null>();
  for (const s of shards) {
    primary.set(s.key, s.primary);
    if (s.primary !== null && ok.has(s.primary)) count.set(s.primary, count.get(s.primary)! + 1);
  }
  const out = new Map<string, string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const s of shards) {
      const p = primary.get(s.key) ?? null;
      const candidates = s.inSync.filter((n) => ok.has(n) && n !== p);
      if (candidates.length === 0) continue;
      const best = candidates.reduce((a, b) =>
        count.get(b)! < count.get(a)! || (count.get(b) === count.get(a) && b < a) ? b : a,
      );
      const pCount = p !== null && ok.has(p) ? count.get(p)! : Number.POSITIVE_INFINITY;
      if (pCount - count.get(best)! < 2) continue;
      if (p !== null && ok.has(p)) count.set(p, pCount - 1);
      count.set(best, count.get(best)! + 1);
      primary.set(s.key, best);
      out.set(s.key, best);
      changed = true;
    }
  }
  for (const s of shards) if (out.get(s.key) === s.primary) out.delete(s.key);
  return out;
}
