import type { Database, NodeDesiredState, NodeProvider, NodeRole, NodeStatus } from '../../engine/index.js';

/** A `sys_nodes` row as the reconciler reads it. Timestamps are ms since the epoch. */
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

/** Observed columns the reconciler writes. */
export type NodePatch = Partial<
  Pick<
    NodeRow,
    | 'status'
    | 'status_reason'
    | 'instance_id'
    | 'idempotency_token'
    | 'private_ip'
    | 'public_ip'
    | 'endpoint'
    | 'agent_port'
    | 'last_heartbeat_at'
    | 'attempts'
  >
>;

const PATCH_COLUMNS = new Set([
  'status',
  'status_reason',
  'instance_id',
  'idempotency_token',
  'private_ip',
  'public_ip',
  'endpoint',
  'agent_port',
  'last_heartbeat_at',
  'attempts',
]);

/**
 * The reconciler's access to `sys_nodes`: short synchronous statements on the writer connection, each its
 * own transaction (never held across an await).
 */
export class NodeStore {
  private readonly getStmt;
  private readonly idsStmt;
  private readonly deleteStmt;

  constructor(private readonly db: Database) {
    this.getStmt = db.prepare<[string], NodeRow>('SELECT * FROM sys_nodes WHERE id = ?');
    this.idsStmt = db.prepare<[], string>('SELECT id FROM sys_nodes ORDER BY id').pluck();
    this.deleteStmt = db.prepare<[string]>('DELETE FROM sys_nodes WHERE id = ?');
  }

  get(id: string): NodeRow | undefined {
    return this.getStmt.get(id);
  }

  ids(): string[] {
    return this.idsStmt.all() as string[];
  }

  /** Rows by id, for the orphan collector. */
  all(): NodeRow[] {
    return this.db.prepare<[], NodeRow>('SELECT * FROM sys_nodes').all();
  }

  /**
   * Writes observed columns and `updated_at = now`, only if the row still carries `expectToken` as its
   * idempotency token (compare-and-set, so a stale step cannot overwrite a newer attempt).
   * @returns whether the row was updated.
   */
  update(id: string, expectToken: string | null, patch: NodePatch, now: number): boolean {
    const cols = Object.keys(patch).filter((k) => PATCH_COLUMNS.has(k));
    const sets = cols.map((c) => `${c} = @${c}`).join(', ');
    const sql = `UPDATE sys_nodes SET ${sets}${sets ? ', ' : ''}updated_at = @__now
      WHERE id = @__id AND idempotency_token IS @__expect`;
    const params: Record<string, unknown> = { __now: now, __id: id, __expect: expectToken };
    for (const c of cols) params[c] = (patch as Record<string, unknown>)[c] ?? null;
    return this.db.prepare(sql).run(params).changes === 1;
  }

  /** Deletes the row (the finalizer lets it go once status is `terminated` or it has no token). */
  remove(id: string): boolean {
    return this.deleteStmt.run(id).changes === 1;
  }
}
