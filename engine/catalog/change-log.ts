import { SQL_NOW_MS } from '../now.js';
import { NODE_SPEC_COLUMNS } from './nodes.js';

/** Tables whose writes are recorded in `sys_changes` for the change feed, with the column that keys a row. */
export const WATCHED_TABLES = {
  sys_nodes: 'id',
  sys_models: 'name',
  sys_training_jobs: 'id',
} as const;
export type WatchedTable = keyof typeof WATCHED_TABLES;

/** Columns whose change is news to workers; a heartbeat that only moves `last_heartbeat_at` is not. */
const NODE_COLUMNS = [
  ...NODE_SPEC_COLUMNS,
  'desired_state',
  'status',
  'instance_id',
  'mesh_ip',
  'wg_public_key',
  'endpoint',
];

function triggers(table: string, key: string, updateWhen?: string): string {
  const row = (ref: 'NEW' | 'OLD', op: string) =>
    `INSERT INTO sys_changes (tbl, row_key, op, ts) VALUES ('${table}', CAST(${ref}.${key} AS TEXT), '${op}', ${SQL_NOW_MS});`;
  return `
CREATE TRIGGER ${table}_changes_insert AFTER INSERT ON ${table} BEGIN ${row('NEW', 'insert')} END;
CREATE TRIGGER ${table}_changes_update AFTER UPDATE ON ${table}${updateWhen ? ` WHEN ${updateWhen}` : ''} BEGIN ${row('NEW', 'update')} END;
CREATE TRIGGER ${table}_changes_delete AFTER DELETE ON ${table} BEGIN ${row('OLD', 'delete')} END;`;
}

/**
 * `sys_changes`: a trigger-maintained log of writes to the watched tables, from any connection or process
 * (the `sqlite3` shell included). The change feed tails it when `PRAGMA data_version` moves.
 */
export const changeLogSchema = `
CREATE TABLE sys_changes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tbl TEXT NOT NULL,
  row_key TEXT NOT NULL,
  op TEXT NOT NULL,
  ts INTEGER NOT NULL
) STRICT;
${triggers('sys_nodes', 'id', NODE_COLUMNS.map((c) => `NEW.${c} IS NOT OLD.${c}`).join(' OR '))}
${triggers('sys_models', 'name')}
${triggers('sys_training_jobs', 'id')}
`;
