import { type Clock, InfrabaseError, isInfrabaseError } from '../../engine/index.js';
import { heartbeatFresh, type NodeRow, type NodeStore, nextNodeStatus } from '../nodes/index.js';
import type { CloudProvider, Instance, NodeSpec } from '../provider.js';
import { idempotencyToken, parseIdempotencyToken } from './idempotency-token.js';
import {
  type CapacityCooloff,
  choosePlacement,
  describePlacement,
  type Placement,
  placementCandidates,
} from './placement.js';

/** What a reconcile step asks of the queue (controller-runtime's `Result`). */
export interface ReconcileResult {
  /** Queue the key again at once (the step moved the row on and another step follows). */
  readonly requeue?: boolean;
  /** Queue the key again after this many ms (checks such as heartbeat staleness). */
  readonly requeueAfterMs?: number;
  /** What the step did, for logs and tests. */
  readonly action: string;
  /** The node lifecycle event the step recorded, if any (the control plane logs it at info level). */
  readonly event?: NodeLifecycleEvent;
}

/**
 * A change in a node's life, as one step recorded it: `launch` (a new attempt's token written), `launched` (the
 * provider created the instance), `ready` (a heartbeat seen by the reconciler), `unreachable`, `replace` (the
 * instance vanished or never registered; a new attempt follows), `drain` (a DELETE began: drained, now
 * terminating), `terminated` (instances gone, row removed), `failed` (a terminal error). Fields carry ids and
 * the reason, never tokens or user data.
 */
export interface NodeLifecycleEvent {
  readonly kind:
    | 'launch'
    | 'launched'
    | 'ready'
    | 'unreachable'
    | 'replace'
    | 'drain'
    | 'terminated'
    | 'failed';
  /** One sentence, e.g. "instance local-1a2b vanished (not found) outside infrabase; replacing it". */
  readonly message: string;
  /** The launch (`sys_nodes.idempotency_token`: node id, attempt and placement; not a credential). */
  readonly launch?: string | null;
  readonly provider: string;
  readonly instanceId?: string | null;
  readonly attempt?: number;
}

function lifecycle(
  row: NodeRow,
  kind: NodeLifecycleEvent['kind'],
  message: string,
  extra: Partial<NodeLifecycleEvent> = {},
): NodeLifecycleEvent {
  return {
    kind,
    message,
    provider: row.provider,
    launch: row.idempotency_token,
    instanceId: row.instance_id,
    ...extra,
  };
}

/** Everything one reconcile step needs; the shell builds it once. */
export interface ReconcileDeps {
  readonly store: NodeStore;
  readonly providers: ReadonlyMap<string, CloudProvider>;
  readonly cooloff: CapacityCooloff;
  readonly clock: Clock;
  readonly clusterId: string;
  /** A ready node with no heartbeat for this long becomes `unreachable`, in ms. */
  readonly heartbeatTimeoutMs: number;
  /** Boot-time configuration for the launch (join token etc.); must be the same for the same token. */
  readonly userData?: (row: NodeRow, token: string) => string | undefined;
  /** Asks the node's agent to stop accepting work; best effort, must not throw. */
  readonly drain?: (row: NodeRow, signal: AbortSignal) => Promise<void>;
  /** Asked before a data node is terminated; while it answers no, the DELETE waits (see {@link TerminationGate}). */
  readonly terminationGate?: TerminationGate;
  readonly signal: AbortSignal;
  /**
   * When each node's instance was last looked up (`provider.get`), ms. With it, a `ready` row with a fresh
   * heartbeat that was looked up within the heartbeat timeout is not looked up again: every heartbeat
   * writes the row and so queues it, and a provider call per heartbeat would spend the API rate limit.
   */
  readonly lastLookup?: Map<string, number>;
  /**
   * A launched instance whose agent has not heartbeated this long after it was recorded (the row turned
   * `booting`), in ms, is deleted and replaced by a new attempt (Karpenter's registration TTL). Default: never.
   */
  readonly registrationTimeoutMs?: number;
}

/**
 * The data layer's "may this node be terminated?" for the DELETE finalizer: a data node holding the only
 * in-sync copies of shards must first have them moved away (docs/distributed-tables.md, "Node lifecycle").
 * While `ok` is false the node is not drained nor terminated, and `reason` (e.g. "draining: moving 7 of 11
 * shards") is its `status_reason`. Provided by the control plane so autoinfra does not import the data layer.
 */
export type TerminationGate = (
  row: NodeRow,
) => { ok: boolean; reason: string } | Promise<{ ok: boolean; reason: string }>;

/** How often a DELETE that the termination gate holds back is asked again, in ms. */
export const TERMINATION_GATE_RECHECK_MS = 1000;

/** How long to wait before re-checking a node that is terminating, in ms. */
const TERMINATING_RECHECK_MS = 1000;
/** First re-check of a booting node that has not heartbeated yet, in ms. */
const BOOTING_RECHECK_MS = 1000;

/**
 * When to re-check a booting node, in ms: as long as it has been booting (`t - since`), between
 * {@link BOOTING_RECHECK_MS} and the heartbeat timeout — a doubling backoff. The heartbeat route moves the
 * row to `ready` itself, so polling the provider is only the safety net for instances that vanish while
 * booting; frequent polls would spend the API rate limit that creates need.
 */
export function bootingRecheckMs(since: number, t: number, heartbeatTimeoutMs: number): number {
  return Math.max(BOOTING_RECHECK_MS, Math.min(heartbeatTimeoutMs, t - since));
}

/**
 * One level-based reconcile step for `sys_nodes` row `id`: re-reads the row and the provider's view, takes
 * ONE step towards the desired state and records it. Never awaits while a transaction is open.
 *
 * Steps: (running) no token → choose a placement, write the new token and `attempts+1` (committed before any
 * cloud call); token, no instance → `create(spec, token)` (idempotent by token, also after a crash) and record
 * the instance; instance → check it still exists (else mark it vanished and start a new attempt), promote
 * `booting` → `ready` on a heartbeat, `ready` → `unreachable` when heartbeats stop. (terminated) while the
 * termination gate holds a data node, keep it running (a vanished instance is launched again); then drain,
 * delete the instance (and any instance tagged with this node found while mid-launch), record `terminated`,
 * then delete the row.
 *
 * @throws InfrabaseError retryable errors (`THROTTLED`, `UNAVAILABLE`, `TIMEOUT`, …) for the shell to back
 *   off on; terminal errors are recorded on the row (`failed`) and not thrown.
 */
export async function reconcileNode(deps: ReconcileDeps, id: string): Promise<ReconcileResult> {
  const row = deps.store.get(id);
  if (!row) return { action: 'gone' };
  const provider = deps.providers.get(row.provider);
  if (!provider) {
    return fail(
      deps,
      row,
      `no provider "${row.provider}" is configured (set providers.${row.provider}.enabled in the configuration); configured: ${[...deps.providers.keys()].join(', ')}`,
    );
  }
  if (row.desired_state === 'terminated') return finalize(deps, provider, row);
  if (row.status === 'failed') return { action: 'failed' };
  if (row.idempotency_token === null) return startAttempt(deps, row);
  if (row.instance_id === null) return launch(deps, provider, row);
  return observe(deps, provider, row);
}

function now(deps: ReconcileDeps): number {
  return deps.clock.now();
}

function fail(deps: ReconcileDeps, row: NodeRow, reason: string): ReconcileResult {
  deps.store.markFailed(row.id, row.idempotency_token, reason, now(deps));
  return { action: 'failed', event: lifecycle(row, 'failed', reason) };
}

function startAttempt(deps: ReconcileDeps, row: NodeRow): ReconcileResult {
  let candidates: Placement[];
  try {
    candidates = placementCandidates(row);
  } catch (err) {
    return fail(deps, row, (err as Error).message);
  }
  const t = now(deps);
  const choice = choosePlacement(row.provider, candidates, deps.cooloff, t);
  if (choice.kind === 'cooling') {
    const reason = `insufficient capacity for every allowed placement (${candidates.map(describePlacement).join('; ')}); cooling off until ${new Date(choice.retryAt).toISOString()}`;
    deps.store.markWaiting(row.id, reason, t);
    return { action: 'cooling', requeueAfterMs: Math.max(1, choice.retryAt - t) };
  }
  const generation = row.attempts + 1;
  const token = idempotencyToken(row.id, generation, choice.index);
  const reasonPrefix = row.status_reason && row.status === 'pending' ? `${row.status_reason}; ` : '';
  const launching = `launching ${describePlacement(choice.placement)} (attempt ${generation})`;
  // Intent first: the token is committed before the create call, so a crash after the call reuses it.
  const ok = deps.store.recordLaunch(row.id, token, generation, `${reasonPrefix}${launching}`, t);
  if (!ok) return { action: 'raced', requeue: true };
  return {
    action: 'token-written',
    requeue: true,
    event: lifecycle(row, 'launch', launching, { launch: token, attempt: generation, instanceId: null }),
  };
}

function specFor(deps: ReconcileDeps, row: NodeRow, token: string): NodeSpec {
  const { placementIndex } = parseIdempotencyToken(row.id, token);
  const candidates = placementCandidates(row);
  const placement = candidates[placementIndex] ?? candidates[0];
  let labels: Record<string, string> = {};
  try {
    const parsed = JSON.parse(row.labels) as Record<string, unknown>;
    labels = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
  } catch {
    labels = {};
  }
  return {
    nodeId: row.id,
    provider: row.provider,
    region: row.region ?? undefined,
    zone: placement.zone,
    instanceType: placement.instanceType,
    image: row.image ?? undefined,
    role: row.role,
    labels,
    userData: deps.userData?.(row, token),
  };
}

async function launch(deps: ReconcileDeps, provider: CloudProvider, row: NodeRow): Promise<ReconcileResult> {
  const token = row.idempotency_token!;
  let spec: NodeSpec;
  try {
    spec = specFor(deps, row, token);
  } catch (err) {
    return fail(deps, row, (err as Error).message);
  }
  let instance: Instance;
  try {
    instance = await provider.create(spec, token, deps.signal);
  } catch (err) {
    if (isInfrabaseError(err, 'INSUFFICIENT_CAPACITY')) {
      const placement: Placement = { instanceType: spec.instanceType, zone: spec.zone };
      const until = deps.cooloff.mark(row.provider, placement, now(deps));
      // No instance exists for this token: drop it so the next step starts a new attempt elsewhere.
      deps.store.dropLaunch(
        row.id,
        token,
        `insufficient capacity for ${describePlacement(placement)}; cooling off until ${new Date(until).toISOString()}`,
        now(deps),
      );
      return { action: 'capacity', requeue: true };
    }
    if (isInfrabaseError(err) && !err.retryable) {
      return fail(deps, row, `${err.code}: ${err.message}`);
    }
    const code = isInfrabaseError(err) ? err.code : 'ERROR';
    deps.store.noteReason(
      row.id,
      token,
      `create failed, retrying with the same token: ${code}: ${(err as Error).message}`,
      now(deps),
    );
    throw err;
  }
  return recordInstance(deps, row, token, instance);
}

/** The `status_reason` of a booting row: the instance's state as the provider last reported it. */
function recordInstance(
  deps: ReconcileDeps,
  row: NodeRow,
  token: string,
  instance: Instance,
): ReconcileResult {
  const t = now(deps);
  const change = nextNodeStatus({
    status: row.status,
    lastHeartbeatAt: row.last_heartbeat_at,
    now: t,
    heartbeatTimeoutMs: deps.heartbeatTimeoutMs,
    event: { kind: 'launched', instance },
  })!;
  deps.store.recordInstance(row.id, token, instance, row.private_ip, change, t);
  const fresh = change.status === 'ready';
  return {
    action: 'created',
    requeueAfterMs: fresh ? deps.heartbeatTimeoutMs : BOOTING_RECHECK_MS,
    event: lifecycle(row, 'launched', `instance ${instance.id} ${instance.state}`, {
      launch: token,
      instanceId: instance.id,
    }),
  };
}

async function observe(deps: ReconcileDeps, provider: CloudProvider, row: NodeRow): Promise<ReconcileResult> {
  const token = row.idempotency_token;
  const before = now(deps);
  const looked = deps.lastLookup?.get(row.id);
  const beat = row.last_heartbeat_at;
  if (
    row.status === 'ready' &&
    looked !== undefined &&
    before - looked < deps.heartbeatTimeoutMs &&
    beat !== null &&
    before - beat < deps.heartbeatTimeoutMs
  ) {
    return { action: 'checked', requeueAfterMs: beat + deps.heartbeatTimeoutMs - before + 1 };
  }
  let instance: Instance | undefined;
  try {
    instance = await provider.get(row.instance_id!, deps.signal);
  } catch (err) {
    if (!isInfrabaseError(err, 'NOT_FOUND')) throw err;
  }
  const t = now(deps);
  if (instance && instance.state !== 'terminated') deps.lastLookup?.set(row.id, t);
  else deps.lastLookup?.delete(row.id);
  if (!instance || instance.state === 'terminated' || instance.state === 'stopping') {
    // Terminated outside infrabase: record it and start a new attempt (new token) on the next step.
    const reason = `instance ${row.instance_id} vanished (${instance ? instance.state : 'not found'}) outside infrabase; replacing it`;
    deps.store.recordVanished(row.id, token, reason, t);
    return { action: 'vanished', requeue: true, event: lifecycle(row, 'replace', reason) };
  }
  // a heartbeat may have arrived during the lookup: judge freshness from the row as it is now
  const last = deps.store.get(row.id)?.last_heartbeat_at ?? row.last_heartbeat_at;
  const fresh = heartbeatFresh(last, t, deps.heartbeatTimeoutMs);
  const change = nextNodeStatus({
    status: row.status,
    lastHeartbeatAt: last,
    now: t,
    heartbeatTimeoutMs: deps.heartbeatTimeoutMs,
    event: { kind: 'observed', instance },
  });
  if (row.status === 'ready' || row.status === 'unreachable') {
    if (change?.status === 'unreachable') {
      deps.store.markUnreachable(row.id, token, change.reason, t);
      return {
        action: 'unreachable',
        requeueAfterMs: deps.heartbeatTimeoutMs,
        event: lifecycle(row, 'unreachable', change.reason),
      };
    }
    if (change) deps.store.recordStatus(row.id, token, change, t);
    return {
      action: 'checked',
      requeueAfterMs: fresh ? last! + deps.heartbeatTimeoutMs - t + 1 : deps.heartbeatTimeoutMs,
    };
  }
  if (change?.status === 'ready') {
    deps.store.recordStatus(row.id, token, change, t);
    return {
      action: 'ready',
      requeueAfterMs: last! + deps.heartbeatTimeoutMs - t + 1,
      event: lifecycle(row, 'ready', change.reason),
    };
  }
  // registration is timed from when the instance was recorded (the row turned booting), not from the launch's
  // first create call, which cloud retries may have delayed
  const since = row.status === 'booting' ? row.updated_at : t;
  if (last === null && deps.registrationTimeoutMs !== undefined && t - since >= deps.registrationTimeoutMs) {
    return replaceUnregistered(deps, provider, row, t - since);
  }
  if (change?.status === 'booting' && row.status === 'booting') {
    // The instance moved on (pending → running): say so, keeping updated_at, which times the registration
    // from when the row turned booting.
    if (row.status_reason !== change.reason) deps.store.recordStatus(row.id, token, change, row.updated_at);
  } else if (change) deps.store.recordStatus(row.id, token, change, t);
  const recheck = bootingRecheckMs(since, t, deps.heartbeatTimeoutMs);
  const deadline =
    deps.registrationTimeoutMs === undefined ? recheck : since + deps.registrationTimeoutMs - t;
  return { action: 'booting', requeueAfterMs: Math.max(1, Math.min(recheck, deadline)) };
}

/**
 * Deletes the instance of a launch whose agent never heartbeated within the registration timeout, then drops
 * the launch so the next step starts a new attempt. The row is read again right before the delete, so a first
 * heartbeat that arrived during the lookup keeps the node. The delete comes first: a crash in between leaves a
 * row whose instance is gone or going, which the next observation records as vanished.
 */
async function replaceUnregistered(
  deps: ReconcileDeps,
  provider: CloudProvider,
  row: NodeRow,
  ageMs: number,
): Promise<ReconcileResult> {
  const current = deps.store.get(row.id);
  if (
    !current ||
    current.last_heartbeat_at !== null ||
    current.idempotency_token !== row.idempotency_token ||
    current.desired_state !== 'running'
  ) {
    return { action: 'raced', requeue: true };
  }
  try {
    await provider.delete(row.instance_id!, deps.signal);
  } catch (err) {
    if (!isInfrabaseError(err, 'NOT_FOUND')) throw err;
  }
  const reason = `instance ${row.instance_id} did not register (no heartbeat ${ageMs} ms after it booted, timeout ${deps.registrationTimeoutMs} ms); replacing it`;
  deps.store.recordVanished(row.id, row.idempotency_token, reason, now(deps));
  deps.lastLookup?.delete(row.id);
  return { action: 'unregistered', requeue: true, event: lifecycle(row, 'replace', reason) };
}

async function finalize(
  deps: ReconcileDeps,
  provider: CloudProvider,
  row: NodeRow,
): Promise<ReconcileResult> {
  const token = row.idempotency_token;
  const t = now(deps);
  if (
    deps.terminationGate &&
    row.role === 'data' &&
    row.status !== 'terminating' &&
    row.status !== 'terminated'
  ) {
    const verdict = await deps.terminationGate(row);
    if (!verdict.ok) return holdForData(deps, provider, row, verdict.reason);
  }
  if (row.status === 'terminated' || token === null) {
    deps.store.finalize(row, undefined, t);
    return {
      action: 'removed',
      event: lifecycle(row, 'terminated', 'no instance was launched; row removed'),
    };
  }
  if (row.status !== 'terminating') {
    if (row.endpoint && deps.drain) await deps.drain(row, deps.signal);
    deps.store.markTerminating(row.id, token, 'drained; terminating', now(deps));
    return {
      action: 'draining',
      requeue: true,
      event: lifecycle(row, 'drain', row.endpoint ? 'drained; terminating' : 'terminating'),
    };
  }
  // Every instance of this node: the recorded one and, if a launch was in flight, any tagged with the node.
  const targets = new Set<string>();
  if (row.instance_id) targets.add(row.instance_id);
  else {
    const owned = await provider.listOwned(deps.signal);
    for (const inst of owned) {
      if (inst.clusterId === deps.clusterId && inst.nodeId === row.id && inst.state !== 'terminated')
        targets.add(inst.id);
    }
  }
  let pending = 0;
  for (const instanceId of targets) {
    try {
      await provider.delete(instanceId, deps.signal);
      const after = await provider.get(instanceId, deps.signal);
      if (after.state !== 'terminated') pending++;
    } catch (err) {
      if (!isInfrabaseError(err, 'NOT_FOUND')) throw err;
    }
  }
  if (pending > 0) {
    deps.store.noteReason(row.id, token, `waiting for ${pending} instance(s) to terminate`, now(deps));
    return { action: 'terminating', requeueAfterMs: TERMINATING_RECHECK_MS };
  }
  const terminated = targets.size ? `terminated ${[...targets].join(', ')}` : 'no instance';
  deps.store.finalize(row, terminated, now(deps));
  return { action: 'removed', event: lifecycle(row, 'terminated', `${terminated}; row removed`) };
}

/**
 * A DELETEd data node that the termination gate holds (the data layer still moves its shards away) must keep
 * running: a launch that is not there — never made, or whose instance vanished while its agent stopped
 * heartbeating — is made again (a new attempt, as for a running node), so its copies can leave it. Otherwise
 * the row shows the gate's reason and is asked again in {@link TERMINATION_GATE_RECHECK_MS}.
 */
async function holdForData(
  deps: ReconcileDeps,
  provider: CloudProvider,
  row: NodeRow,
  reason: string,
): Promise<ReconcileResult> {
  if (row.idempotency_token === null) return startAttempt(deps, row);
  if (row.instance_id === null) return launch(deps, provider, row);
  const beat = row.last_heartbeat_at;
  if (beat === null || now(deps) - beat >= deps.heartbeatTimeoutMs) {
    const observed = await observe(deps, provider, row);
    if (observed.action === 'vanished') return observed;
  }
  const current = deps.store.get(row.id);
  if (current && current.status_reason !== reason) {
    deps.store.noteReason(row.id, current.idempotency_token, reason, now(deps));
  }
  return { action: 'waiting-for-data', requeueAfterMs: TERMINATION_GATE_RECHECK_MS };
}

/** @internal Exported for the shell: terminal errors that a step records rather than retries. */
export function isTerminal(err: unknown): boolean {
  return err instanceof InfrabaseError && !err.retryable;
}
