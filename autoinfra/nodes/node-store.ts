import type { Database } from '../../engine/index.js';
import { agentEndpointSql, agentPort } from './agent-endpoint.js';
import type { NodeRow } from './node-row.js';
import { type NodeStatusChange, nextNodeStatus } from './node-status.js';

/** Observed columns the reconciler's transitions write. */
type NodePatch = Partial<
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

/** The address fields an instance's look-up reports. */
export interface InstanceAddresses {
  readonly id: string;
  readonly privateIp?: string;
  readonly publicIp?: string;
}

/** What a join records: the launch it is for and the agent's reported `host:port`. */
export interface JoinRecord {
  readonly id: string;
  /** The launch (idempotency token) the presented token belongs to. */
  readonly launch: string;
  /** A re-join with the node token (may repeat after the first heartbeat); else a join-token join. */
  readonly rejoin: boolean;
  /** The agent's reported `host:port`; only its port is kept, and it selects among known addresses. */
  readonly endpoint?: string;
  /** ms since the epoch. */
  readonly now: number;
}

/**
 * The one writer of `sys_nodes` from TypeScript: every change of a row's observed columns is one of the named
 * transitions below (the reconciler's launch steps, the agents' join and heartbeat, mesh membership's address
 * and key columns). Users write the desired columns in SQL; the scaling policies' trigger inserts rows with
 * {@link NODE_INSERT_COLUMNS}. Short synchronous statements on the writer connection, never held across an
 * await. The reconciler's transitions are compare-and-set on the launch (`expectToken`: the row's
 * idempotency token when the step read it), so a stale step cannot overwrite a newer attempt; each returns
 * whether the row was updated.
 */
export class NodeStore {
  private readonly q;

  constructor(private readonly db: Database) {
    this.q = {
      get: db.prepare<[string], NodeRow>('SELECT * FROM sys_nodes WHERE id = ?'),
      ids: db.prepare<[], string>('SELECT id FROM sys_nodes ORDER BY id').pluck(),
      remove: db.prepare<[string]>('DELETE FROM sys_nodes WHERE id = ?'),
      // A join token's join only counts while the launch has never heartbeated (checked and set atomically).
      // The agent's port is recorded at join; its host is never taken from the node (see agentEndpointSql).
      join: db.prepare(
        `UPDATE sys_nodes SET agent_port = @port, endpoint = ${agentEndpointSql('CAST(@port AS INTEGER)')}, updated_at = @now
         WHERE id = @id AND idempotency_token = @launch AND (@rejoin OR last_heartbeat_at IS NULL)`,
      ),
      heartbeat: db.prepare(
        `UPDATE sys_nodes SET last_heartbeat_at = @now, endpoint = ${agentEndpointSql('agent_port')},
           status = coalesce(@status, status), status_reason = CASE WHEN @status IS NULL THEN status_reason ELSE @reason END,
           updated_at = CASE WHEN @status IS NULL THEN updated_at ELSE @now END
         WHERE id = @id AND idempotency_token = @launch`,
      ),
      meshAddress: db.prepare('UPDATE sys_nodes SET mesh_ip = ? WHERE id = ?'),
      releaseMeshAddress: db.prepare(
        'UPDATE sys_nodes SET mesh_ip = NULL WHERE id = ? AND mesh_ip IS NOT NULL',
      ),
      meshJoin: db.prepare(
        `UPDATE sys_nodes SET wg_endpoint = coalesce(@wgEndpoint, wg_endpoint),
           wg_public_key = CASE WHEN wg_next_public_key IS NULL OR wg_public_key IS NULL THEN @key ELSE wg_public_key END
         WHERE id = @id`,
      ),
      stageKey: db.prepare(
        'UPDATE sys_nodes SET wg_next_public_key = @next, wg_key_activate_at = NULL WHERE id = @id',
      ),
      scheduleKey: db.prepare('UPDATE sys_nodes SET wg_key_activate_at = @at WHERE id = @id'),
      completeKey: db.prepare(
        `UPDATE sys_nodes SET wg_public_key = @key, wg_next_public_key = NULL, wg_key_activate_at = NULL
         WHERE id = @id`,
      ),
    };
  }

  get(id: string): NodeRow | undefined {
    return this.q.get.get(id);
  }

  ids(): string[] {
    return this.q.ids.all() as string[];
  }

  /** Rows by id, for the orphan collector. */
  all(): NodeRow[] {
    return this.db.prepare<[], NodeRow>('SELECT * FROM sys_nodes').all();
  }

  // --- the reconciler's transitions -------------------------------------------------------------------

  /**
   * Starts launch attempt `attempts` with idempotency token `token` (the intent, committed before any cloud
   * call): `provisioning`, the addresses and heartbeat of any earlier attempt cleared. Only from a row without
   * a token.
   */
  recordLaunch(id: string, token: string, attempts: number, reason: string, now: number): boolean {
    return this.update(
      id,
      null,
      {
        idempotency_token: token,
        attempts,
        status: 'provisioning',
        status_reason: reason,
        endpoint: null,
        agent_port: null,
        last_heartbeat_at: null,
        private_ip: null,
        public_ip: null,
      },
      now,
    );
  }

  /** No launch is possible yet (every placement cools off): `pending`, why, the row keeps no token. */
  markWaiting(id: string, reason: string, now: number): boolean {
    return this.update(id, null, { status: 'pending', status_reason: reason }, now);
  }

  /** The create call found no capacity, so no instance exists: drop the launch's token, `pending`, why. */
  dropLaunch(id: string, token: string, reason: string, now: number): boolean {
    return this.update(id, token, { idempotency_token: null, status: 'pending', status_reason: reason }, now);
  }

  /** A terminal error: `failed` with its reason; the reconciler stops there. */
  markFailed(id: string, expectToken: string | null, reason: string, now: number): boolean {
    return this.update(id, expectToken, { status: 'failed', status_reason: reason }, now);
  }

  /** Says what the current step waits for (a retried create, the termination gate, instances terminating). */
  noteReason(id: string, expectToken: string | null, reason: string, now: number): boolean {
    return this.update(id, expectToken, { status_reason: reason }, now);
  }

  /** The create call returned `instance`: its id and addresses, and the status the rule gives a launch. */
  recordInstance(
    id: string,
    token: string,
    instance: InstanceAddresses,
    keptPrivateIp: string | null,
    change: NodeStatusChange,
    now: number,
  ): boolean {
    return this.update(
      id,
      token,
      {
        instance_id: instance.id,
        private_ip: instance.privateIp ?? keptPrivateIp,
        public_ip: instance.publicIp ?? null,
        status: change.status,
        status_reason: change.reason,
      },
      now,
    );
  }

  /** Records a status decided by {@link nextNodeStatus} (`ready`, `booting`, `unreachable`). */
  recordStatus(id: string, token: string | null, change: NodeStatusChange, now: number): boolean {
    return this.update(id, token, { status: change.status, status_reason: change.reason }, now);
  }

  /** `ready` → `unreachable`: heartbeats stopped (the reason from {@link nextNodeStatus}). */
  markUnreachable(id: string, token: string | null, reason: string, now: number): boolean {
    return this.recordStatus(id, token, { status: 'unreachable', reason }, now);
  }

  /**
   * The instance is gone (outside infrabase, or deleted by the reconciler after it never registered): forget it
   * and its launch (`pending`, a new attempt follows), and the agent's address and heartbeat with it.
   */
  recordVanished(id: string, token: string | null, reason: string, now: number): boolean {
    return this.update(
      id,
      token,
      {
        instance_id: null,
        idempotency_token: null,
        status: 'pending',
        status_reason: reason,
        endpoint: null,
        agent_port: null,
        last_heartbeat_at: null,
      },
      now,
    );
  }

  /** A deleted node was drained (or had nothing to drain): `terminating` while its instances are deleted. */
  markTerminating(id: string, token: string | null, reason: string, now: number): boolean {
    return this.update(id, token, { status: 'terminating', status_reason: reason }, now);
  }

  /**
   * The DELETE finalizer's last step: records `terminated` (with `reason`, when given) unless the row already
   * is, then removes the row.
   * @returns whether the row was removed.
   */
  finalize(row: NodeRow, reason: string | undefined, now: number): boolean {
    if (reason !== undefined) {
      this.update(row.id, row.idempotency_token, { status: 'terminated', status_reason: reason }, now);
    } else if (row.status !== 'terminated') {
      this.update(row.id, row.idempotency_token, { status: 'terminated' }, now);
    }
    return this.q.remove.run(row.id).changes === 1;
  }

  // --- the agents' join and heartbeat ---------------------------------------------------------------

  /**
   * Records a join of launch `launch`: the agent's port (from the reported endpoint) and the endpoint the
   * control plane derives from it (see agentEndpointSql). A join-token join counts only while the launch has
   * never heartbeated.
   * @returns false when the row is no longer on that launch, or a join-token join came after a heartbeat.
   */
  recordJoin(join: JoinRecord): boolean {
    return (
      this.q.join.run({
        id: join.id,
        launch: join.launch,
        rejoin: join.rejoin ? 1 : 0,
        port: agentPort(join.endpoint),
        endpoint: join.endpoint ?? null,
        now: join.now,
      }).changes === 1
    );
  }

  /**
   * Records a heartbeat of launch `launch` at `now`: `last_heartbeat_at`, the endpoint among the known
   * addresses, and the status {@link nextNodeStatus} gives a heartbeat; `during` runs in the same immediate
   * transaction (the heartbeat's metrics), and a throw from it records nothing.
   * @returns false when the row is no longer on that launch (nothing recorded); else the status change the
   *   heartbeat made (`change`: e.g. `booting` → `ready`), null when it kept the status.
   */
  recordHeartbeat(
    id: string,
    launch: string,
    endpoint: string | undefined,
    now: number,
    during?: () => void,
  ): false | { readonly change: NodeStatusChange | null } {
    const run = this.db.transaction((): false | { readonly change: NodeStatusChange | null } => {
      const current = this.q.get.get(id);
      if (!current || current.idempotency_token !== launch) return false;
      const change = nextNodeStatus({
        status: current.status,
        lastHeartbeatAt: now,
        now,
        heartbeatTimeoutMs: Number.POSITIVE_INFINITY,
        event: { kind: 'heartbeat' },
      });
      this.q.heartbeat.run({
        id,
        launch,
        endpoint: endpoint ?? null,
        status: change?.status ?? null,
        reason: change?.reason ?? null,
        now,
      });
      during?.();
      return { change };
    });
    return run.immediate();
  }

  // --- mesh membership's columns (the network module's MeshNodeWriter port) ------------------------------

  /** Gives node `id` mesh address `address` (the IPAM chose it inside its own transaction). */
  assignMeshAddress(id: string, address: string): void {
    this.q.meshAddress.run(address, id);
  }

  /** Clears node `id`'s mesh address; a no-op when it has none. */
  releaseMeshAddress(id: string): void {
    this.q.releaseMeshAddress.run(id);
  }

  /** A mesh join: the node's public key (unless a rotation is staged) and WireGuard endpoint (kept when null). */
  recordMeshJoin(id: string, publicKey: string, wgEndpoint: string | null): void {
    this.q.meshJoin.run({ id, key: publicKey, wgEndpoint });
  }

  /** Stages node `id`'s next public key (a rotation's first step); unschedules any earlier switch. */
  stageMeshKey(id: string, nextPublicKey: string): void {
    this.q.stageKey.run({ id, next: nextPublicKey });
  }

  /** Schedules node `id`'s switch to its staged key at `at`, ms since the epoch. */
  scheduleMeshKeySwitch(id: string, at: number): void {
    this.q.scheduleKey.run({ id, at });
  }

  /** Completes node `id`'s rotation: `publicKey` becomes its key, nothing staged. */
  completeMeshKeyRotation(id: string, publicKey: string): void {
    this.q.completeKey.run({ id, key: publicKey });
  }

  /**
   * Writes observed columns and `updated_at = now`, only if the row still carries `expectToken` as its
   * idempotency token (compare-and-set).
   */
  private update(id: string, expectToken: string | null, patch: NodePatch, now: number): boolean {
    const cols = Object.keys(patch);
    const sets = cols.map((c) => `${c} = @${c}`).join(', ');
    const sql = `UPDATE sys_nodes SET ${sets}${sets ? ', ' : ''}updated_at = @__now
      WHERE id = @__id AND idempotency_token IS @__expect`;
    const params: Record<string, unknown> = { __now: now, __id: id, __expect: expectToken };
    for (const c of cols) params[c] = (patch as Record<string, unknown>)[c] ?? null;
    return this.db.prepare(sql).run(params).changes === 1;
  }
}
