import { SQL_NOW_MS } from '../now.js';
import { USER_SQL_CONDITION } from '../user-sql.js';

/**
 * Migration 7: who may write which `sys_nodes` columns, and where the control plane reaches an agent.
 *
 * - `agent_port` — the agent's HTTP port, recorded by the control plane when the node joins.
 * - `endpoint` is only ever `<address>:<agent_port>` for an address the control plane knows itself
 *   (`private_ip`/`public_ip` from the provider, `mesh_ip` from its IPAM); a trigger keeps it so when those
 *   change (the provider's address often arrives after the join).
 * - Observed columns refuse writes from user SQL. User SQL runs on SQL-worker connections, the only ones on
 *   which the engine registers the marker function `infrabase_user_sql` (USER_SQL_CONDITION); the control
 *   plane's own connections, agents, tools and the sqlite3 shell have none. A statement cannot register or
 *   remove a function.
 * - `provider` cannot change once the row has been launched (`idempotency_token` set).
 * - A `failed` row is deleted at once: no launch of it is in flight, and the orphan collector ends any
 *   instance left behind.
 */

/** Columns of `sys_nodes` written by the control plane (reconciler, join/heartbeat routes, mesh), never by users. */
export const NODE_OBSERVED_COLUMNS = [
  'status',
  'status_reason',
  'instance_id',
  'idempotency_token',
  'private_ip',
  'public_ip',
  'mesh_ip',
  'wg_public_key',
  'wg_endpoint',
  'wg_next_public_key',
  'wg_key_activate_at',
  'endpoint',
  'agent_port',
  'last_heartbeat_at',
  'launched_at',
  'attempts',
  'created_at',
] as const;

/** Columns users write (the rest are observed). */
export const NODE_USER_COLUMNS = [
  'id',
  'provider',
  'region',
  'zone',
  'instance_type',
  'image',
  'role',
  'labels',
  'spec',
  'desired_state',
  'created_by',
] as const;

/** Value an observed column has on a row as users insert it (null: no default other than NULL). */
const INSERT_DEFAULTS: Partial<Record<(typeof NODE_OBSERVED_COLUMNS)[number], string>> = {
  status: "'pending'",
  attempts: '0',
};

const userWritable = NODE_USER_COLUMNS.join(', ');
const refusal = (column: string) =>
  `sys_nodes.${column} is an observed column, written by the reconciler and the node agents, not by SQL; users may write ${userWritable} (DELETE terminates a node)`;

const guards = NODE_OBSERVED_COLUMNS.map(
  (c) => `
CREATE TRIGGER sys_nodes_guard_update_${c} BEFORE UPDATE OF ${c} ON sys_nodes
WHEN NEW.${c} IS NOT OLD.${c} AND ${USER_SQL_CONDITION}
BEGIN
  SELECT RAISE(ABORT, '${refusal(c)}');
END;`,
).join('\n');

const insertGuards = NODE_OBSERVED_COLUMNS.filter((c) => c !== 'created_at')
  .map(
    (c) => `
CREATE TRIGGER sys_nodes_guard_insert_${c} BEFORE INSERT ON sys_nodes
WHEN NEW.${c} IS NOT ${INSERT_DEFAULTS[c] ?? 'NULL'} AND ${USER_SQL_CONDITION}
BEGIN
  SELECT RAISE(ABORT, '${refusal(c)}');
END;`,
  )
  .join('\n');

/** The addresses the control plane may reach the agent of row `r` at, as an SQL IN list. */
const ownAddresses = (r: string) =>
  `(${r}.mesh_ip || ':' || ${r}.agent_port, ${r}.private_ip || ':' || ${r}.agent_port, ${r}.public_ip || ':' || ${r}.agent_port)`;

export const nodesGuardsSchema = `
ALTER TABLE sys_nodes ADD COLUMN agent_port INTEGER
  CONSTRAINT "sys_nodes.agent_port must be a port number (1-65535)" CHECK (agent_port BETWEEN 1 AND 65535);

CREATE TRIGGER sys_nodes_endpoint_from_addresses AFTER UPDATE OF private_ip, public_ip, mesh_ip, agent_port ON sys_nodes
WHEN NEW.endpoint IS NULL OR NEW.agent_port IS NULL OR NEW.endpoint NOT IN ${ownAddresses('NEW')}
BEGIN
  UPDATE sys_nodes SET endpoint = CASE
      WHEN agent_port IS NOT NULL AND private_ip IS NOT NULL THEN private_ip || ':' || agent_port
      ELSE NULL END
    WHERE id = NEW.id;
END;

${guards}
${insertGuards}

CREATE TRIGGER sys_nodes_guard_provider BEFORE UPDATE OF provider ON sys_nodes
WHEN NEW.provider IS NOT OLD.provider AND OLD.idempotency_token IS NOT NULL AND ${USER_SQL_CONDITION}
BEGIN
  SELECT RAISE(ABORT, 'sys_nodes.provider cannot change once the node is launched: DELETE the row and INSERT a new one with the other provider');
END;

DROP TRIGGER sys_nodes_finalizer;
CREATE TRIGGER sys_nodes_finalizer BEFORE DELETE ON sys_nodes
WHEN OLD.status NOT IN ('terminated', 'failed') AND OLD.idempotency_token IS NOT NULL
BEGIN
  UPDATE sys_nodes SET desired_state = 'terminated', updated_at = ${SQL_NOW_MS}
    WHERE id = OLD.id AND desired_state <> 'terminated';
  SELECT RAISE(IGNORE);
END;
`;
