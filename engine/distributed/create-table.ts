import type { Clock } from '../clock.js';
import { InfrabaseError } from '../errors.js';
import type { PerNodeTableStore } from '../per-node/index.js';
import type { DistributedStore } from './store.js';

/** How often a create waits for the data layer (a drop to finish, shards to be placed), ms. */
const POLL_MS = 50;

/** What a load creates: a distributed table by default, or the older per-node layout on request. */
export interface CreateSpec {
  readonly columns: readonly { name: string; type: string }[];
  readonly shardBy?: string;
  /** Number of shards (distributed; default 32). */
  readonly shards?: number;
  /** Copies of each shard (distributed; default 2 with two or more data nodes, else 1). */
  readonly replicas?: number;
  /** Replace an existing table of that name (its data is dropped). Without it, an existing name is refused. */
  readonly replace?: boolean;
  /**
   * How long to wait for a replaced table's drop and the new shards' placement, ms (default
   * {@link CREATE_TIMEOUT_MS}).
   */
  readonly timeoutMs?: number;
}

/** Default time a create waits for a replaced table's drop and its shards' placement, ms. */
export const CREATE_TIMEOUT_MS = 60_000;

/** The stores a table name lives in, and the clock a create waits with. */
export interface TableCatalog {
  readonly distributed: DistributedStore;
  readonly perNode: PerNodeTableStore;
  readonly clock: Clock;
}

/** What exists under a table name: a distributed table (active or dropping), per-node rows, or nothing. */
function existing(c: TableCatalog, name: string): { distributed?: string; perNode: number } {
  return {
    distributed: c.distributed.tables().get(name.toLowerCase())?.status,
    perNode: c.perNode.nodeCount(name),
  };
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
 * per-node `sys_tables` rows) is refused unless `replace`: then a distributed table is dropped
 * (`DistributedStore.requestDrop`; the data layer deletes its placements, and this waits until its row is
 * gone) and per-node rows are forgotten (`PerNodeTableStore.forget`; the nodes' copies are recreated or left
 * unread).
 * @throws InfrabaseError('CONFLICT') naming the table and `--replace`; `TIMEOUT` when a drop does not finish.
 */
export async function freeTableName(
  c: TableCatalog,
  name: string,
  replace: boolean,
  timeoutMs: number,
): Promise<void> {
  const e = existing(c, name);
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
  if (e.perNode > 0) c.perNode.forget(name);
  if (e.distributed) {
    c.distributed.requestDrop(name);
    await until(
      c.clock,
      timeoutMs,
      () => existing(c, name).distributed === undefined,
      `table ${name} was not dropped (its placements are still on the data nodes; is a node unreachable?)`,
    );
  }
}

/**
 * Creates a distributed table for a load (`DistributedStore.createTable`, whose catalog checks name a bad
 * definition) and waits until every shard has an in-sync placement holding the table. The name must be free
 * (see {@link freeTableName}); a table whose shards are not placed in time is dropped again.
 * @returns shard count and replication factor as created.
 * @throws SqliteError (a `CONSTRAINT`) for a definition the catalog refuses; InfrabaseError('TIMEOUT') when the
 *   shards are not placed in time (no ready data node).
 */
export async function createDistributedTable(
  c: TableCatalog,
  name: string,
  spec: CreateSpec,
): Promise<{ shards: number; replicationFactor: number }> {
  const timeoutMs = spec.timeoutMs ?? CREATE_TIMEOUT_MS;
  c.distributed.createTable({
    name,
    columns: spec.columns,
    shardKey: spec.shardBy,
    shardCount: spec.shards,
    replicationFactor: spec.replicas,
  });
  try {
    await until(
      c.clock,
      timeoutMs,
      () => {
        const p = c.distributed.placementProgress(name);
        return p.schemaApplied && p.unavailableShards === 0;
      },
      `the shards of ${name} were not placed (is a data node ready?)`,
    );
  } catch (err) {
    // Not left half-created: the table is dropped again, so the same load can be retried as it was.
    c.distributed.requestDrop(name);
    throw err;
  }
  const t = c.distributed.tables().get(name.toLowerCase());
  return { shards: t?.shardCount ?? 0, replicationFactor: t?.replicationFactor ?? 0 };
}
