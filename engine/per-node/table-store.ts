import type { Database } from 'better-sqlite3';
import type { Clock } from '../clock.js';

/** One column of a per-node table as `sys_tables.columns` records it. */
export interface PerNodeColumn {
  readonly name: string;
  readonly type: string;
}

/**
 * The one writer of `sys_tables` (engine/catalog/tables.ts): how a table loaded in the per-node layout
 * (`infrabase load --per-node`) is spread over the data nodes, one row per (table, node). Each transition is
 * one short synchronous transaction; the agents' copies are created and filled by the caller before it
 * records them here.
 */
export class PerNodeTableStore {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /** How many data nodes hold a per-node table `name` (0: none). */
  nodeCount(name: string): number {
    return (
      this.db.prepare('SELECT count(*) AS n FROM sys_tables WHERE table_name = ?').get(name) as { n: number }
    ).n;
  }

  /**
   * `recordCreate`: the table now exists, empty, on exactly `nodes` (ids), sharded by `shardBy` (NULL for
   * round-robin) with `columns`; rows of an earlier table of that name are replaced.
   */
  recordCreate(
    name: string,
    nodes: readonly string[],
    shardBy: string | null,
    columns: readonly PerNodeColumn[],
  ): void {
    const now = this.clock.now();
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM sys_tables WHERE table_name = ?').run(name);
      const ins = this.db.prepare(
        'INSERT INTO sys_tables (table_name, node_id, rows, shard_by, columns, updated_at) VALUES (?, ?, 0, ?, ?, ?)',
      );
      for (const n of nodes) ins.run(name, n, shardBy, JSON.stringify(columns), now);
    })();
  }

  /** `addRows`: each node in `counts` (node id → rows) received that many more rows of the table. */
  addRows(name: string, counts: ReadonlyMap<string, number>): void {
    const now = this.clock.now();
    const add = this.db.prepare(
      'UPDATE sys_tables SET rows = rows + ?, updated_at = ? WHERE table_name = ? AND node_id = ?',
    );
    this.db.transaction(() => {
      for (const [node, n] of counts) add.run(n, now, name, node);
    })();
  }

  /** `forget`: the table is no longer recorded (its copies on the nodes are recreated by a load or left unread). */
  forget(name: string): void {
    this.db.prepare('DELETE FROM sys_tables WHERE table_name = ?').run(name);
  }
}
