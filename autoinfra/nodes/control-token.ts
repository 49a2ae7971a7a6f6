import { createHmac, timingSafeEqual } from 'node:crypto';
import { InfrabaseError } from '../../engine/index.js';

/** What an agent needs to check control tokens: its node id, its control key (from the join reply), a clock. */
export interface ControlTokenCheck {
  readonly nodeId: string;
  /** Hex key from the join/heartbeat reply; undefined before the agent has joined. */
  readonly key: () => string | undefined;
  /** ms since the epoch. */
  readonly now: () => number;
}

/**
 * Checks a control token on the agent's side (see `NodeTokens.controlToken`): the signature with this node's
 * control key, the `control` purpose, that the token names this node, and that it has not expired (by the
 * agent's clock).
 * @throws InfrabaseError `UNAUTHENTICATED` saying what was wrong (never echoing the token).
 */
export function verifyControlToken(token: string, check: ControlTokenCheck): void {
  const key = check.key();
  if (!key) throw new InfrabaseError('UNAUTHENTICATED', 'agent has not joined yet');
  const [body, mac, extra] = token.split('.');
  if (!body || !mac || extra !== undefined) {
    throw new InfrabaseError('UNAUTHENTICATED', 'this agent endpoint needs the control plane token');
  }
  const want = createHmac('sha256', Buffer.from(key, 'hex')).update(body).digest();
  const got = Buffer.from(mac, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) {
    throw new InfrabaseError(
      'UNAUTHENTICATED',
      'this agent endpoint needs the control plane token (bad signature: not a token for this node and launch)',
    );
  }
  let claims: { p?: string; n?: string; e?: number };
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw new InfrabaseError('UNAUTHENTICATED', 'control token claims are not JSON');
  }
  if (claims.p !== 'control') {
    throw new InfrabaseError('UNAUTHENTICATED', `expected a control token, got a ${claims.p} token`);
  }
  if (claims.n !== check.nodeId) {
    throw new InfrabaseError('UNAUTHENTICATED', `control token is for node ${claims.n}, not ${check.nodeId}`);
  }
  if (typeof claims.e !== 'number' || claims.e <= check.now()) {
    throw new InfrabaseError(
      'UNAUTHENTICATED',
      `control token expired at ${typeof claims.e === 'number' ? new Date(claims.e).toISOString() : '(no expiry)'}`,
    );
  }
}
