import { SQL_NOW_MS } from '../now.js';

/** Values accepted by the CHECK constraints of the distributed-table catalog (see docs/distributed-tables.md). */
export const TABLE_KINDS = ['distributed', 'reference'] as const;
export const PLACEMENT_ROLES = ['primary', 'replica'] as const;
export const PLACEMENT_STATES = ['copying', 'catching_up', 'in_sync', 'out_of_sync', 'dropping'] as const;
export const MOVE_KINDS = ['move', 'replicate'] as const;
export const MOVE_STATES = ['planned', 'copying', 'catching_up', 'done', 'failed'] as const;
export const COLUMN_TYPES = ['INTEGER', 'REAL', 'TEXT', 'BLOB', 'NUMERIC'] as const;
/** Largest shard count per table (per region for a pinned table). */
export const MAX_SHARD_COUNT = 4096;
/** Largest replication factor. */
export const MAX_REPLICATION_FACTOR = 16;

export type TableKind = (typeof TABLE_KINDS)[number];
export type PlacementRole = (typeof PLACEMENT_ROLES)[number];
export type PlacementState = (typeof PLACEMENT_STATES)[number];
export type MoveKind = (typeof MOVE_KINDS)[number];
export type MoveState = (typeof MOVE_STATES)[number];

const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');
const words = (values: readonly string[]) => values.join(', ');

/**
 * Migration 9: distributed tables, their shards, placements and moves.
 * - `sys_distributed_tables` — one row per table; an INSERT creates it (the trigger fills the colocation
 *   group, the replication factor when NULL — 2 with two or more running data nodes, else 1 — and a
 *   reference table's single shard, then inserts the group's `sys_shards` rows with their hash ranges). The
 *   definition columns are immutable; `replication_factor` may be changed (the rebalancer follows). DELETE
 *   marks the table `dropping` (a finalizer, like `sys_nodes`); the data layer removes it.
 * - `sys_shards` — (colocation_group, shard): inclusive FNV-1a hash range, region (pinned tables), epoch and
 *   the lsn of the last acknowledged write.
 * - `sys_placements` — (colocation_group, shard, node_id): role, state, epoch, rows, bytes, checksum.
 * - `sys_shard_moves` — one row per move, at most one unfinished per shard.
 * - `sys_shard_status` — view: in-sync copies on ready nodes per shard against the group's replication
 *   factor: `available`, `under_replicated` or `unavailable`.
 * Shard hash ranges: shard i of n covers [⌈i·2^32/n⌉, ⌈(i+1)·2^32/n⌉ − 1] (engine/distributed/hash.ts).
 */
export const distributedSchema = `
CREATE TABLE sys_distributed_tables (
  name TEXT PRIMARY KEY NOT NULL COLLATE NOCASE
    CONSTRAINT "sys_distributed_tables.name must be 1-128 of letters, digits and _ (not first), not sys_*"
    CHECK (length(name) BETWEEN 1 AND 128 AND name NOT GLOB '*[^A-Za-z0-9_]*' AND name NOT GLOB '[0-9]*'
           AND lower(name) NOT GLOB 'sys_*'),
  kind TEXT NOT NULL DEFAULT 'distributed'
    CONSTRAINT "sys_distributed_tables.kind must be one of: ${words(TABLE_KINDS)}" CHECK (kind IN (${list(TABLE_KINDS)})),
  columns TEXT NOT NULL
    CONSTRAINT "sys_distributed_tables.columns must be a non-empty JSON array of {name, type}"
    CHECK (json_valid(columns) AND json_type(columns) = 'array' AND json_array_length(columns) > 0),
  shard_key TEXT,
  shard_count INTEGER NOT NULL DEFAULT 32
    CONSTRAINT "sys_distributed_tables.shard_count must be 1-${MAX_SHARD_COUNT}"
    CHECK (shard_count BETWEEN 1 AND ${MAX_SHARD_COUNT}),
  replication_factor INTEGER
    CONSTRAINT "sys_distributed_tables.replication_factor must be 1-${MAX_REPLICATION_FACTOR}"
    CHECK (replication_factor IS NULL OR replication_factor BETWEEN 1 AND ${MAX_REPLICATION_FACTOR}),
  region_column TEXT,
  regions TEXT
    CONSTRAINT "sys_distributed_tables.regions must be a non-empty JSON array of region names"
    CHECK (regions IS NULL OR (json_valid(regions) AND json_type(regions) = 'array' AND json_array_length(regions) > 0)),
  colocation_group TEXT
    CONSTRAINT "sys_distributed_tables.colocation_group must be 1-128 of letters, digits and _"
    CHECK (colocation_group IS NULL OR (length(colocation_group) BETWEEN 1 AND 128
           AND colocation_group NOT GLOB '*[^A-Za-z0-9_]*')),
  next_row INTEGER NOT NULL DEFAULT 1,
  schema_applied INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'active'
    CONSTRAINT "sys_distributed_tables.status must be one of: active, dropping" CHECK (status IN ('active', 'dropping')),
  created_at INTEGER NOT NULL DEFAULT (${SQL_NOW_MS}),
  updated_at INTEGER NOT NULL DEFAULT (${SQL_NOW_MS})
) STRICT;

CREATE TRIGGER sys_distributed_tables_check BEFORE INSERT ON sys_distributed_tables
BEGIN
  SELECT RAISE(ABORT, 'sys_distributed_tables.columns: each column needs a name and a type of ${words(COLUMN_TYPES)}')
    WHERE EXISTS (SELECT 1 FROM json_each(NEW.columns) c
                  WHERE json_type(c.value) <> 'object' OR json_type(c.value, '$.name') <> 'text'
                     OR length(c.value ->> '$.name') = 0 OR (c.value ->> '$.type') NOT IN (${list(COLUMN_TYPES)}));
  SELECT RAISE(ABORT, 'sys_distributed_tables.columns: _row is reserved (every table has _row INTEGER PRIMARY KEY)')
    WHERE EXISTS (SELECT 1 FROM json_each(NEW.columns) c WHERE lower(c.value ->> '$.name') = '_row');
  SELECT RAISE(ABORT, 'sys_distributed_tables.columns: column names must be unique')
    WHERE (SELECT count(DISTINCT lower(c.value ->> '$.name')) FROM json_each(NEW.columns) c)
          <> json_array_length(NEW.columns);
  SELECT RAISE(ABORT, 'sys_distributed_tables.shard_key must be NULL (hash _row) or one of the columns')
    WHERE NEW.shard_key IS NOT NULL AND NOT EXISTS
      (SELECT 1 FROM json_each(NEW.columns) c WHERE c.value ->> '$.name' = NEW.shard_key);
  SELECT RAISE(ABORT, 'sys_distributed_tables.region_column must be one of the columns, and needs regions')
    WHERE NEW.region_column IS NOT NULL AND (NEW.regions IS NULL OR NOT EXISTS
      (SELECT 1 FROM json_each(NEW.columns) c WHERE c.value ->> '$.name' = NEW.region_column));
  SELECT RAISE(ABORT, 'sys_distributed_tables.regions needs region_column')
    WHERE NEW.regions IS NOT NULL AND NEW.region_column IS NULL;
  SELECT RAISE(ABORT, 'sys_distributed_tables: a reference table has no shard key and no region pin')
    WHERE NEW.kind = 'reference' AND (NEW.shard_key IS NOT NULL OR NEW.region_column IS NOT NULL);
  SELECT RAISE(ABORT, 'sys_distributed_tables.colocation_group: the group has another shard count, kind or regions')
    WHERE EXISTS (SELECT 1 FROM sys_distributed_tables t
                  WHERE t.colocation_group = COALESCE(NEW.colocation_group,
                          CASE WHEN NEW.kind = 'reference' THEN 'reference' ELSE NEW.name END)
                    AND (t.kind <> NEW.kind
                         OR (NEW.kind = 'distributed' AND t.shard_count <> NEW.shard_count)
                         OR t.regions IS NOT NEW.regions));
END;

CREATE TRIGGER sys_distributed_tables_create AFTER INSERT ON sys_distributed_tables
BEGIN
  UPDATE sys_distributed_tables SET
    colocation_group = COALESCE(NEW.colocation_group,
                                CASE WHEN NEW.kind = 'reference' THEN 'reference' ELSE NEW.name END),
    shard_count = CASE WHEN NEW.kind = 'reference' THEN 1 ELSE NEW.shard_count END,
    replication_factor = COALESCE(NEW.replication_factor,
      CASE WHEN (SELECT count(*) FROM sys_nodes WHERE role = 'data' AND desired_state = 'running') >= 2
           THEN 2 ELSE 1 END)
  WHERE name = NEW.name;
  INSERT OR IGNORE INTO sys_shards (colocation_group, shard, region, hash_min, hash_max)
  WITH RECURSIVE t AS (SELECT colocation_group AS g, shard_count AS n FROM sys_distributed_tables WHERE name = NEW.name),
  s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s, t WHERE i + 1 < t.n)
  SELECT t.g, CAST(r.key AS INTEGER) * t.n + s.i, r.value,
         (s.i * 4294967296 + t.n - 1) / t.n, ((s.i + 1) * 4294967296 + t.n - 1) / t.n - 1
  FROM t, s, json_each(COALESCE(NEW.regions, '[null]')) r;
END;

CREATE TRIGGER sys_distributed_tables_immutable BEFORE UPDATE ON sys_distributed_tables
WHEN NEW.name IS NOT OLD.name OR NEW.kind IS NOT OLD.kind OR NEW.columns IS NOT OLD.columns
  OR NEW.shard_key IS NOT OLD.shard_key OR NEW.region_column IS NOT OLD.region_column
  OR NEW.regions IS NOT OLD.regions
  OR (OLD.colocation_group IS NOT NULL AND NEW.colocation_group IS NOT OLD.colocation_group)
  OR (NEW.shard_count IS NOT OLD.shard_count AND NOT (OLD.kind = 'reference' AND NEW.shard_count = 1))
  OR NEW.replication_factor IS NULL
BEGIN
  SELECT RAISE(ABORT, 'sys_distributed_tables: only replication_factor of a table may change; drop and recreate it to change its definition');
END;

CREATE TRIGGER sys_distributed_tables_finalizer BEFORE DELETE ON sys_distributed_tables
WHEN OLD.status = 'active'
BEGIN
  UPDATE sys_distributed_tables SET status = 'dropping', updated_at = ${SQL_NOW_MS} WHERE name = OLD.name;
  SELECT RAISE(IGNORE);
END;

CREATE TRIGGER sys_distributed_tables_last_of_group AFTER DELETE ON sys_distributed_tables
WHEN NOT EXISTS (SELECT 1 FROM sys_distributed_tables WHERE colocation_group = OLD.colocation_group)
BEGIN
  DELETE FROM sys_shards WHERE colocation_group = OLD.colocation_group;
END;

CREATE TABLE sys_shards (
  colocation_group TEXT NOT NULL,
  shard INTEGER NOT NULL CONSTRAINT "sys_shards.shard must be >= 0" CHECK (shard >= 0),
  region TEXT,
  hash_min INTEGER NOT NULL,
  hash_max INTEGER NOT NULL,
  epoch INTEGER NOT NULL DEFAULT 0 CONSTRAINT "sys_shards.epoch must be >= 0" CHECK (epoch >= 0),
  lsn INTEGER NOT NULL DEFAULT 0 CONSTRAINT "sys_shards.lsn must be >= 0" CHECK (lsn >= 0),
  updated_at INTEGER NOT NULL DEFAULT (${SQL_NOW_MS}),
  PRIMARY KEY (colocation_group, shard)
) STRICT;

CREATE TABLE sys_placements (
  colocation_group TEXT NOT NULL,
  shard INTEGER NOT NULL,
  node_id TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT 'replica'
    CONSTRAINT "sys_placements.role must be one of: ${words(PLACEMENT_ROLES)}" CHECK (role IN (${list(PLACEMENT_ROLES)})),
  state TEXT NOT NULL DEFAULT 'copying'
    CONSTRAINT "sys_placements.state must be one of: ${words(PLACEMENT_STATES)}" CHECK (state IN (${list(PLACEMENT_STATES)})),
  state_reason TEXT,
  epoch INTEGER NOT NULL DEFAULT 0,
  rows INTEGER,
  bytes INTEGER,
  checksum TEXT,
  created_at INTEGER NOT NULL DEFAULT (${SQL_NOW_MS}),
  updated_at INTEGER NOT NULL DEFAULT (${SQL_NOW_MS}),
  PRIMARY KEY (colocation_group, shard, node_id),
  FOREIGN KEY (colocation_group, shard) REFERENCES sys_shards (colocation_group, shard) ON DELETE CASCADE,
  CONSTRAINT "sys_placements: a primary placement must be in_sync" CHECK (role = 'replica' OR state = 'in_sync')
) STRICT;
CREATE UNIQUE INDEX sys_placements_one_primary ON sys_placements (colocation_group, shard) WHERE role = 'primary';
CREATE INDEX sys_placements_node ON sys_placements (node_id);

CREATE TABLE sys_shard_moves (
  id INTEGER PRIMARY KEY,
  colocation_group TEXT NOT NULL,
  shard INTEGER NOT NULL,
  kind TEXT NOT NULL
    CONSTRAINT "sys_shard_moves.kind must be one of: ${words(MOVE_KINDS)}" CHECK (kind IN (${list(MOVE_KINDS)})),
  source_node TEXT,
  target_node TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'planned'
    CONSTRAINT "sys_shard_moves.state must be one of: ${words(MOVE_STATES)}" CHECK (state IN (${list(MOVE_STATES)})),
  reason TEXT,
  bytes INTEGER,
  snapshot_lsn INTEGER,
  created_at INTEGER NOT NULL DEFAULT (${SQL_NOW_MS}),
  started_at INTEGER,
  finished_at INTEGER,
  updated_at INTEGER NOT NULL DEFAULT (${SQL_NOW_MS}),
  CONSTRAINT "sys_shard_moves: a move needs a source placement" CHECK (kind = 'replicate' OR source_node IS NOT NULL)
) STRICT;
CREATE UNIQUE INDEX sys_shard_moves_one_active ON sys_shard_moves (colocation_group, shard)
  WHERE state NOT IN ('done', 'failed');

CREATE VIEW sys_shard_status AS
SELECT c.*, CASE WHEN c.in_sync = 0 THEN 'unavailable'
                 WHEN c.in_sync < c.replication_factor THEN 'under_replicated'
                 ELSE 'available' END AS status
FROM (
  SELECT s.colocation_group, s.shard, s.region, s.epoch, s.lsn,
         (SELECT count(*) FROM sys_placements p JOIN sys_nodes n ON n.id = p.node_id AND n.status = 'ready'
            WHERE p.colocation_group = s.colocation_group AND p.shard = s.shard AND p.state = 'in_sync') AS in_sync,
         (SELECT max(t.replication_factor) FROM sys_distributed_tables t
            WHERE t.colocation_group = s.colocation_group) AS replication_factor
  FROM sys_shards s
) c;
`;
