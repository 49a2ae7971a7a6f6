import { Gauge, type Registry } from 'prom-client';
import type { NodeCountSource } from './nodes.js';
import { perRegistry } from './per-registry.js';

export interface ShardsMetrics {
  /** `infrabase_shard_placements{role,state}`: `sys_placements` rows, read at scrape time. */
  readonly placements: Gauge<'role' | 'state'>;
  /** `infrabase_shard_moves{kind,state}`: `sys_shard_moves` rows, read at scrape time. */
  readonly moves: Gauge<'kind' | 'state'>;
}

/** A gauge whose `collect` replaces its values with the rows of a `GROUP BY` query: label columns and `n`. */
function tableGauge<L extends string>(
  registry: Registry,
  db: NodeCountSource,
  name: string,
  help: string,
  labelNames: readonly L[],
  sql: string,
): Gauge<L> {
  const query = db.prepare(sql);
  return new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const row of query.all() as Record<string, string | number>[]) {
        const labels: Partial<Record<L, string>> = {};
        for (const l of labelNames) labels[l] = String(row[l]);
        this.set(labels, Number(row.n));
      }
    },
  });
}

/**
 * Declares the distributed tables' placement gauges, collected from the catalog at scrape time with one
 * `GROUP BY` query each on `db`: `infrabase_shard_placements{role,state}` (primary/replica;
 * copying, catching_up, in_sync, out_of_sync, dropping) and `infrabase_shard_moves{kind,state}` (the rows of
 * `sys_shard_moves`: planned, copying, catching_up, done, failed — finished moves stay until the data layer
 * removes them). Declared once per registry, like {@link nodesMetrics}.
 */
export function shardsMetrics(registry: Registry, db: NodeCountSource): ShardsMetrics {
  return perRegistry(registry, 'shards', () => ({
    placements: tableGauge(
      registry,
      db,
      'infrabase_shard_placements',
      'sys_placements rows (shard copies on data nodes) by role and state, read at scrape time.',
      ['role', 'state'] as const,
      'SELECT role, state, count(*) AS n FROM sys_placements GROUP BY role, state',
    ),
    moves: tableGauge(
      registry,
      db,
      'infrabase_shard_moves',
      'sys_shard_moves rows by kind and state, read at scrape time.',
      ['kind', 'state'] as const,
      'SELECT kind, state, count(*) AS n FROM sys_shard_moves GROUP BY kind, state',
    ),
  }));
}
