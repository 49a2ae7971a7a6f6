import { type Clock, InfrabaseError } from '../../engine/index.js';
import type { NodeRow } from './node-row.js';
import type { NodeStatusChange } from './node-status.js';
import type { NodeStore } from './node-store.js';
import type { NodeTokenClaims, NodeTokens } from './node-tokens.js';

/** What an agent reports about itself in a join or heartbeat (the parts autoinfra reads). */
export interface AgentReport {
  readonly nodeId: string;
  /** The agent's `host:port`; only its port is taken, the host is one the control plane knows. */
  readonly endpoint?: string;
}

/** A node authenticated for a join or heartbeat: its row as read and its token's claims. */
export interface AuthorizedNode {
  readonly row: NodeRow;
  readonly claims: NodeTokenClaims;
}

/** What a join or heartbeat hands back to the agent besides the transport's own fields. */
export interface NodeCredentialsReply {
  /** A fresh node token (heartbeats refresh it). */
  readonly nodeToken: string;
  /** Hex key the agent checks control tokens with (see verifyControlToken). */
  readonly controlKey: string;
  /** ms since the epoch at which the join or heartbeat was recorded. */
  readonly now: number;
}

/**
 * The agents' side of the node lifecycle: authenticating a join or heartbeat with node tokens and recording
 * it through the {@link NodeStore}. Both check that the token's node and launch still match the row (a token
 * of a replaced or deleted launch is refused with `CONFLICT`). A join presents either the launch's join token
 * or, when the agent re-joins (it restarted, or its mesh state is gone), its node token — as a Tailscale node
 * re-authenticates with its node key while its auth key is one-off. The join token is short-lived (expiry
 * signed into it, derived from the launch) and single-use: it is spent once the node has heartbeated (a join
 * whose reply was lost may be repeated until then); a later join with it answers `PERMISSION_DENIED` and
 * records nothing. A heartbeat records `last_heartbeat_at` and the status the node-status rule gives it.
 */
export class NodeLifecycle {
  constructor(
    private readonly store: NodeStore,
    private readonly tokens: NodeTokens,
    private readonly clock: Clock,
  ) {}

  /**
   * Checks a bearer token for a join (`join` or `node` token) or a heartbeat (`node` token): signature,
   * purpose and expiry.
   * @throws InfrabaseError `UNAUTHENTICATED` naming what was wrong.
   */
  verify(token: string, purpose: 'join' | 'node'): NodeTokenClaims {
    return this.tokens.verify(token, purpose === 'join' ? ['join', 'node'] : 'node', this.clock.now());
  }

  /**
   * The row the verified token is for, when its launch is still current.
   * @throws InfrabaseError `UNAUTHENTICATED` when the token names another node than the report, `NOT_FOUND`
   *   for an unknown node, `CONFLICT` when the token's launch is no longer the row's or the deleted node is
   *   terminating.
   */
  authorize(claims: NodeTokenClaims, report: AgentReport): AuthorizedNode {
    if (claims.nodeId !== report.nodeId) {
      throw new InfrabaseError('UNAUTHENTICATED', `token is for node ${claims.nodeId}, not ${report.nodeId}`);
    }
    const row = this.store.get(report.nodeId);
    if (!row) throw new InfrabaseError('NOT_FOUND', `no sys_nodes row ${report.nodeId}`);
    // A DELETEd node is still the current launch until it is terminating: its heartbeats keep it alive for
    // the data layer, which moves its shards away before the termination gate lets it go.
    const retiring =
      row.desired_state !== 'running' && (row.status === 'terminating' || row.status === 'terminated');
    if (row.idempotency_token !== claims.launch || retiring) throw stale(report.nodeId);
    return { row, claims };
  }

  /**
   * Records a join (see the class note).
   * @throws InfrabaseError `PERMISSION_DENIED` for a spent join token; `CONFLICT` when the launch changed.
   */
  join(node: AuthorizedNode, report: AgentReport): NodeCredentialsReply {
    const { row, claims } = node;
    const rejoin = claims.purpose === 'node';
    if (!rejoin && row.last_heartbeat_at !== null) throw spent(row);
    const now = this.clock.now();
    const launch = row.idempotency_token!;
    if (!this.store.recordJoin({ id: row.id, launch, rejoin, endpoint: report.endpoint, now })) {
      const current = this.store.get(row.id);
      if (current && current.idempotency_token === row.idempotency_token) throw spent(current);
      throw stale(row.id);
    }
    return this.credentials(row, now);
  }

  /**
   * Records a heartbeat; `during` runs in the same transaction (e.g. storing the heartbeat's metrics) and a
   * throw from it records nothing. `change` is the status the heartbeat gave the node (by `nextNodeStatus`:
   * `ready` after `booting` or `unreachable`), null when it kept its status.
   * @throws InfrabaseError('CONFLICT') when the node's launch changed since it was authorized.
   */
  heartbeat(
    node: AuthorizedNode,
    report: AgentReport,
    during?: (now: number) => void,
  ): NodeCredentialsReply & { readonly change: NodeStatusChange | null } {
    const { row } = node;
    const now = this.clock.now();
    const recorded = this.store.recordHeartbeat(row.id, row.idempotency_token!, report.endpoint, now, () =>
      during?.(now),
    );
    if (!recorded) throw stale(row.id);
    return { ...this.credentials(row, now), change: recorded.change };
  }

  private credentials(row: NodeRow, now: number): NodeCredentialsReply {
    const launch = row.idempotency_token!;
    return {
      nodeToken: this.tokens.nodeToken(row.id, launch, now),
      controlKey: this.tokens.controlKey(row.id, launch),
      now,
    };
  }
}

function stale(nodeId: string): InfrabaseError {
  return new InfrabaseError(
    'CONFLICT',
    `node ${nodeId}'s token belongs to a launch that is no longer current`,
  );
}

function spent(row: NodeRow): InfrabaseError {
  return new InfrabaseError(
    'PERMISSION_DENIED',
    `the join token of node ${row.id}'s launch ${row.idempotency_token} is spent: the node joined and ` +
      `heartbeated at ${new Date(row.last_heartbeat_at ?? 0).toISOString()}; a running agent re-joins with its node token`,
  );
}
