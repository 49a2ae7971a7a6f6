import { type Clock, type Database, InfrabaseError } from '../../engine/index.js';

/** How often a create waits for the data layer (a drop to finish, shards to be placed), ms. */
const POLL_MS = 50;

/** What the load route creates: a distributed table by default, or the older per-node layout on request. */
export interface CreateSpec {
  readonly columns: readonly { name: string; type: string }[];
  readonly shardBy?: string;
  /** Number of shards (distributed; default 32). */
  readonly shards?: number;
  /** Copies of each shard (distributed; default 2 with two or more data nodes, else 1). */
  readonly replicas?: number;
  /** Replace an existing table of that name (its data is dropped). Without it, an existing name is refused. */
  readonly replace?: boolean;
  /** How long to wait for a replaced table's drop and the new shards' placement, ms (default 60000). */
  readonly timeoutMs?: number;
}

/** What exists under a table name: a distributed table (active or dropping), per-node rows, or nothing. */
function existing(db: Database, name: string): { distributed?: string; perNode: number } {
  const d = db.prepare('SELECT status FROM sys_distributed_tables WHERE name = ?').get(name) as
    | { status: string }
    | undefined;
  const p = db.prepare('SELECT count(*) AS n FROM sys_tables WHERE table_name = ?').get(name) as {
    n: number;
  };
  return { distributed: d?.status, perNode: p.n };
}

async function until(clock: Clock, timeoutMs: number, done: () => boolean, what: string): Promise<void> {
  const deadline = clock.now() + timeoutMs;
  while (!done()) {
    if (clock.now() > deadline) throw new InfrabaseError('TIMEOUT', `${what} within ${timeoutMs} ms`);
    await clock.sleep(POLL_MS);
  }
}

/**
 * Frees a table name for a load. Nothing under it → nothing to do. An existing table (distributed, or
 * per-node `sys_tables` rows) is refused unless `replace`: then a distributed table is dropped (its
 * `sys_distributed_tables` DELETE; the data layer deletes its placements, and this waits until its row is gone)
 * and per-node rows are deleted (the nodes' per-node copies are recreated or left unread).
 * @throws InfrabaseError('CONFLICT') naming the table and `--replace`; `TIMEOUT` when a drop does not finish.
 */
export async function freeTableName(
  db: Database,
  clock: Clock,
  name: string,
  replace: boolean,
  timeoutMs: number,
): Promise<void> {
  const e = existing(db, name);
  if (!e.distributed && e.perNode === 0) return;
  if (!replace) {
    const what = e.distributed
      ? `a distributed table${e.distributed === 'dropping' ? ' (being dropped)' : ''}`
      : `a per-node table on ${e.perNode} node(s)`;
    throw new InfrabaseError(
      'CONFLICT',
      `table ${name} already exists (${what}); load with --replace (HTTP: "replace": true) to drop and replace it`,
    );
  }
  if (e.perNode > 0) db.prepare('DELETE FROM sys_tables WHERE table_name = ?').run(name);
  if (e.distributed) {
    db.prepare('DELETE FROM sys_distributed_tables WHERE name = ?').run(name);
    await until(
      clock,
      timeoutMs,
      () => existing(db, name).distributed === undefined,
      `table ${name} was not dropped (its placements are still on the data nodes; is a node unreachable?)`,
    );
  }
}

/**
 * Creates a distributed table for a load (`INSERT INTO sys_distributed_tables`, whose checks name a bad
 * definition) and waits until every shard has an in-sync placement holding the table. The name must be free
 * (see {@link freeTableName}); a table whose shards are not placed in time is dropped again. @returns shard count and replication factor as created.
 * @throws InfrabaseError('CONSTRAINT') for a definition the catalog refuses; `TIMEOUT` when the shards are
 *   not placed in time (no ready data node).
 */
export async function createDistributedTable(
  db: Database,
  clock: Clock,
  name: string,
  spec: CreateSpec,
): Promise<{ shards: number; replicationFactor: number }> {
  const timeoutMs = spec.timeoutMs ?? 60_000;
  db.prepare(
    `INSERT INTO sys_distributed_tables (name, columns, shard_key, shard_count, replication_factor)
     VALUES (?, ?, ?, COALESCE(?, 32), ?)`,
  ).run(name, JSON.stringify(spec.columns), spec.shardBy ?? null, spec.shards ?? null, spec.replicas ?? null);
  const state = () =>
    db
      .prepare(
        `SELECT t.shard_count AS shards, t.replication_factor AS rf, t.schema_applied AS applied,
                (SELECT count(*) FROM sys_shard_status s
                  WHERE s.colocation_group = t.colocation_group AND s.status = 'unavailable') AS unavailable
         FROM sys_distributed_tables t WHERE t.name = ?`,
      )
      .get(name) as { shards: number; rf: number; applied: number; unavailable: number };
  try {
    await until(
      clock,
      timeoutMs,
      () => {
        const s = state();
        return s.applied === 1 && s.unavailable === 0;
      },
      `the shards of ${name} were not placed (is a data node ready?)`,
    );
  } catch (err) {
    // Not left half-created: the table is dropped again, so the same load can be retried as it was.
    db.prepare('DELETE FROM sys_distributed_tables WHERE name = ?').run(name);
    throw err;
  }
  const s = state();
  return { shards: s.shards, replicationFactor: s.rf };
}
