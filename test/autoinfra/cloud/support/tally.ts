import type { Database } from '../../../../engine/index.js';
import type { ServerInstance } from './clouds.js';

/** What the cloud holds against what `sys_nodes` says, for one cluster. */
export interface CloudTally {
  readonly rows: number;
  /** Rows whose recorded instance is live and is the only live instance tagged with the row's node id. */
  readonly rowsWithExactlyOneInstance: number;
  /** Live instances tagged with the cluster that no row records. */
  readonly orphans: number;
  /** Live instances tagged with the cluster. */
  readonly owned: number;
}

/** Counts instances per row from the test server's own state (not through the provider under test). */
export function tallyCloud(db: Database, live: readonly ServerInstance[], clusterId: string): CloudTally {
  const rows = db.prepare('SELECT id, instance_id FROM sys_nodes').all() as {
    id: string;
    instance_id: string | null;
  }[];
  const owned = live.filter((i) => i.clusterId === clusterId);
  const recorded = new Set(rows.map((r) => r.instance_id));
  let exactlyOne = 0;
  for (const r of rows) {
    const mine = owned.filter((i) => i.nodeId === r.id);
    if (mine.length === 1 && mine[0].id === r.instance_id) exactlyOne++;
  }
  return {
    rows: rows.length,
    rowsWithExactlyOneInstance: exactlyOne,
    orphans: owned.filter((i) => !recorded.has(i.id)).length,
    owned: owned.length,
  };
}
