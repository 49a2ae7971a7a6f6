/**
 * Key rotation with overlap, the pure part. WireGuard gives an interface exactly one private key, and allowed
 * IPs are unique per interface (cryptokey routing: giving an address to a second peer takes it from the
 * first), so two keys cannot both carry one address at the same time. The scheme therefore stages the next
 * key everywhere first and then switches every side at one agreed instant:
 *
 * 1. **stage** — the node writes its next private key (mode 0600) and advertises `next_public_key` with its
 *    heartbeat. Every peer adds a second peer entry for the next key with the node's endpoint and **no allowed
 *    IPs**: it can complete a handshake but carries no traffic, so nothing changes yet.
 * 2. **schedule** — once every peer has acknowledged that the staged entry is applied (it lists the key in its
 *    heartbeat), the control plane sets `activate_at` = now + lead time (at least one heartbeat interval, so
 *    every side has the instant before it comes).
 * 3. **switch** — at `activate_at`, by its own clock, the node sets its interface key to the next key and each
 *    peer moves the node's allowed IPs to the staged entry and drops the old one. The staged entry already
 *    has the endpoint, so the first handshake under the new key takes one round trip.
 * 4. **complete** — after a grace period the control plane records the next key as `wg_public_key` and clears
 *    the rotation; the node promotes its key file.
 *
 * No connection is cut: packets in flight between the two sides' switches (clock skew plus one handshake
 * round trip, milliseconds with NTP) may be dropped and are retransmitted by TCP. A rotation with no packet
 * loss at all would need a second interface and a second address on the node; see docs/mesh.md.
 */

/** A node's key as the control plane tracks it. Times in milliseconds since the epoch. */
export interface NodeKeyState {
  /** The key peers know the node by (`sys_nodes.wg_public_key`). */
  readonly publicKey: string;
  /** The staged next key the node advertised, if a rotation is under way. */
  readonly nextPublicKey?: string | null;
  /** When every side switches to the next key; unset until all peers acknowledged the staged key. */
  readonly activateAt?: number | null;
}

export type RotationPhase = 'steady' | 'staged' | 'scheduled' | 'switched';

/** Where a rotation stands at time `now` (ms). */
export function rotationPhase(state: NodeKeyState, now: number): RotationPhase {
  if (!state.nextPublicKey) return 'steady';
  if (state.activateAt === null || state.activateAt === undefined) return 'staged';
  return now < state.activateAt ? 'scheduled' : 'switched';
}

/** One WireGuard peer entry for the node as others configure it. */
export interface KeyedPeerEntry {
  readonly publicKey: string;
  /** Whether this entry carries the node's allowed IPs (false: staged entry with none). */
  readonly carriesTraffic: boolean;
}

/**
 * The peer entries other nodes must hold for this node at time `now`: one entry normally; during stage and
 * schedule the current key carries traffic and the next key is staged without allowed IPs; from
 * `activateAt` on only the next key, carrying traffic.
 */
export function peerEntriesFor(state: NodeKeyState, now: number): KeyedPeerEntry[] {
  const phase = rotationPhase(state, now);
  if (phase === 'steady' || !state.nextPublicKey)
    return [{ publicKey: state.publicKey, carriesTraffic: true }];
  if (phase === 'switched') return [{ publicKey: state.nextPublicKey, carriesTraffic: true }];
  return [
    { publicKey: state.publicKey, carriesTraffic: true },
    { publicKey: state.nextPublicKey, carriesTraffic: false },
  ];
}

/** Which of its key files the node itself must have on its interface at time `now`. */
export function localKeyAt(state: NodeKeyState, now: number): 'current' | 'next' {
  return rotationPhase(state, now) === 'switched' ? 'next' : 'current';
}

/**
 * The control plane's scheduling step: when every peer in `peerIds` has acknowledged the staged key, the
 * instant to switch (`now + leadMs`); otherwise `null` (keep waiting). A node without peers switches at once.
 * @param acknowledged peer ids whose last heartbeat listed `nextPublicKey` among their applied peer keys.
 * @param leadMs lead time in ms; use at least one heartbeat interval.
 */
export function scheduleActivation(
  state: NodeKeyState,
  peerIds: Iterable<string>,
  acknowledged: ReadonlySet<string>,
  now: number,
  leadMs: number,
): number | null {
  if (!state.nextPublicKey || (state.activateAt !== null && state.activateAt !== undefined)) return null;
  for (const id of peerIds) if (!acknowledged.has(id)) return null;
  return now + leadMs;
}

/**
 * The control plane's completion step: after `activateAt + graceMs` the rotation is over and the node's key
 * state becomes steady on the next key; before that (or when not switched) the state is returned unchanged.
 */
export function completeRotation(state: NodeKeyState, now: number, graceMs: number): NodeKeyState {
  if (rotationPhase(state, now) !== 'switched' || !state.nextPublicKey) return state;
  if (now < (state.activateAt as number) + graceMs) return state;
  return { publicKey: state.nextPublicKey, nextPublicKey: null, activateAt: null };
}

/**
 * When the peer configuration derived from these key states next changes by itself (the earliest future
 * `activateAt`), so an agent can set a timer and switch on time instead of at its next heartbeat; `null`
 * when nothing is scheduled.
 */
export function nextKeyChangeAt(states: Iterable<NodeKeyState>, now: number): number | null {
  let next: number | null = null;
  for (const s of states) {
    if (s.nextPublicKey && typeof s.activateAt === 'number' && s.activateAt > now) {
      next = next === null ? s.activateAt : Math.min(next, s.activateAt);
    }
  }
  return next;
}
