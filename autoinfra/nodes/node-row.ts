import {
  NODE_SPEC_COLUMNS,
  type NodeDesiredState,
  type NodeProvider,
  type NodeRole,
  type NodeStatus,
} from '../../engine/index.js';

/** A `sys_nodes` row as autoinfra reads it. Timestamps are ms since the epoch. */
export interface NodeRow {
  readonly id: string;
  readonly provider: NodeProvider;
  readonly region: string | null;
  readonly zone: string | null;
  readonly instance_type: string | null;
  readonly image: string | null;
  readonly role: NodeRole;
  readonly labels: string;
  readonly spec: string;
  readonly desired_state: NodeDesiredState;
  readonly status: NodeStatus;
  readonly status_reason: string | null;
  readonly instance_id: string | null;
  readonly idempotency_token: string | null;
  readonly private_ip: string | null;
  readonly public_ip: string | null;
  /** The agent's `host:port` as the control plane derived it (see migration 7); where requests go. */
  readonly endpoint: string | null;
  /** The agent's HTTP port, recorded at join. */
  readonly agent_port: number | null;
  readonly last_heartbeat_at: number | null;
  readonly attempts: number;
  /** When the current launch attempt began (its idempotency token was written); null before the first. */
  readonly launched_at: number | null;
  readonly created_at: number;
  readonly updated_at: number;
}

/**
 * The columns a new `sys_nodes` row is inserted with by a writer other than a user (the scaling policies'
 * SQL trigger): its id, the machine's description ({@link NODE_SPEC_COLUMNS}) and `created_by`. Every other
 * column starts at its default; the observed ones are this store's.
 */
export const NODE_INSERT_COLUMNS = ['id', ...NODE_SPEC_COLUMNS, 'created_by'] as const;
