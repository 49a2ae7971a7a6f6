import { Gauge, type Registry } from 'prom-client';
import { perRegistry } from './per-registry.js';

/** The slice of better-sqlite3 the nodes gauge needs: one prepared read. */
export interface NodeCountSource {
  prepare(sql: string): { all(): unknown[] };
}

export interface NodesMetrics {
  /** `infrabase_nodes{status,provider}`: `sys_nodes` rows, read from the database at scrape time. */
  readonly nodes: Gauge<'status' | 'provider'>;
}

/**
 * Declares `infrabase_nodes{status,provider}`, a gauge collected from `sys_nodes` at scrape time with one
 * `GROUP BY` query on `db` (use a read-only connection in the control plane). Label combinations that
 * disappear from the table are removed from the exposition. Declared once per registry: a later call returns
 * the first gauge (reading the first call's `db`).
 */
export function nodesMetrics(registry: Registry, db: NodeCountSource): NodesMetrics {
  return perRegistry(registry, 'nodes', () => declareNodes(registry, db));
}

function declareNodes(registry: Registry, db: NodeCountSource): NodesMetrics {
  const query = db.prepare('SELECT status, provider, count(*) AS n FROM sys_nodes GROUP BY status, provider');
  const nodes = new Gauge({
    name: 'infrabase_nodes',
    help: 'sys_nodes rows by observed status and provider, read at scrape time.',
    labelNames: ['status', 'provider'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const row of query.all() as { status: string; provider: string; n: number }[]) {
        this.set({ status: row.status, provider: row.provider }, row.n);
      }
    },
  });
  return { nodes };
}
