import { InfrabaseError } from '../../engine/index.js';
import type { ApiClient } from '../client/index.js';
import { renderTable } from './format.js';

/** One table or view `\dt` lists. */
export interface TableEntry {
  name: string;
  /** `table` or `view`. */
  type: string;
  /** `user` (on the control plane), `distributed` or `reference` (on the data nodes), `system` (sys_*). */
  kind: string;
}

/**
 * `\dt`: the tables and views a statement can name: the control plane's own (user tables and the `sys_*`
 * catalog, from `sqlite_schema`) and the distributed and reference tables of `sys_distributed_tables`, by kind
 * then name.
 */
export async function listTables(client: ApiClient): Promise<TableEntry[]> {
  const res = await client.sql(
    `SELECT name, type, kind FROM (
       SELECT name, type, CASE WHEN name GLOB 'sys_*' THEN 'system' ELSE 'user' END AS kind
         FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT GLOB 'sqlite_*'
       UNION ALL
       SELECT name, 'table', kind FROM sys_distributed_tables WHERE status = 'active')
     ORDER BY kind = 'system', kind, name`,
  );
  return (res.rows as [string, string, string][]).map(([name, type, kind]) => ({ name, type, kind }));
}

/** What `\d name` shows of one table. */
export interface TableDescription {
  name: string;
  kind: string;
  columns: { name: string; type: string; notNull: boolean; default: unknown; primaryKey: boolean }[];
  /** A distributed or reference table's placement: shard key (`_row` when hashed by row id), shards, copies. */
  distribution?: {
    shardKey: string;
    shardCount: number;
    replicationFactor: number | null;
    colocationGroup: string | null;
  };
}

/**
 * `\d name`: a table's columns (`PRAGMA table_info` on the control plane, or the column list of
 * `sys_distributed_tables` with its `_row INTEGER PRIMARY KEY`) and, for a distributed table, its shard key,
 * shard count and replication factor.
 * @throws InfrabaseError `NOT_FOUND` naming the table when neither has it.
 */
export async function describeTable(client: ApiClient, name: string): Promise<TableDescription> {
  const dist = await client.sql(
    `SELECT name, kind, columns, shard_key, shard_count, replication_factor, colocation_group
       FROM sys_distributed_tables WHERE name = ? AND status = 'active'`,
    [name],
  );
  if (dist.rows.length > 0) {
    const [table, kind, columns, shardKey, shardCount, replicationFactor, group] = dist.rows[0] as [
      string,
      string,
      string,
      string | null,
      number,
      number | null,
      string | null,
    ];
    const declared = JSON.parse(columns) as { name: string; type: string }[];
    return {
      name: table,
      kind,
      columns: [
        { name: '_row', type: 'INTEGER', notNull: true, default: null, primaryKey: true },
        ...declared
          .filter((c) => c.name !== '_row')
          .map((c) => ({ name: c.name, type: c.type, notNull: false, default: null, primaryKey: false })),
      ],
      distribution: { shardKey: shardKey ?? '_row', shardCount, replicationFactor, colocationGroup: group },
    };
  }
  const local = await client.sql(
    `SELECT s.name, s.type, c.name, c.type, c."notnull", c.dflt_value, c.pk
       FROM sqlite_schema s, pragma_table_info(s.name) c
      WHERE s.type IN ('table', 'view') AND s.name = ? COLLATE NOCASE ORDER BY c.cid`,
    [name],
  );
  if (local.rows.length === 0) {
    throw new InfrabaseError('NOT_FOUND', `no table or view named '${name}'; \\dt lists them`);
  }
  const [table, type] = local.rows[0] as [string, string];
  return {
    name: table,
    kind: table.startsWith('sys_') ? `system ${type}` : `user ${type}`,
    columns: (local.rows as [string, string, string, string, number, unknown, number][]).map(
      ([, , column, columnType, notNull, dflt, pk]) => ({
        name: column,
        type: columnType,
        notNull: notNull === 1,
        default: dflt,
        primaryKey: pk > 0,
      }),
    ),
  };
}

/** `\dt`'s answer as a table. */
export function formatTables(tables: readonly TableEntry[]): string {
  return renderTable(
    ['Name', 'Type', 'Kind'],
    tables.map((t) => [t.name, t.type, t.kind]),
  );
}

/** `\d name`'s answer: a title line, the columns, and a distributed table's placement. */
export function formatDescription(d: TableDescription): string {
  const lines = [
    `${d.kind === 'distributed' || d.kind === 'reference' ? `${d.kind} table` : d.kind} "${d.name}"`,
  ];
  lines.push(
    renderTable(
      ['Column', 'Type', 'Not null', 'Default', 'Primary key'],
      d.columns.map((c) => [
        c.name,
        c.type,
        c.notNull ? 'not null' : '',
        c.default ?? '',
        c.primaryKey ? 'yes' : '',
      ]),
    ),
  );
  if (d.distribution) {
    const { shardKey, shardCount, replicationFactor } = d.distribution;
    lines.push(
      `Shard key: ${shardKey}${shardKey === '_row' ? ' (hash of the row id)' : ''}`,
      `Shards: ${shardCount}`,
      `Replication factor: ${replicationFactor ?? 'every data node'}`,
    );
  }
  return lines.join('\n');
}
