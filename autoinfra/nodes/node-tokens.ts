import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfrabaseError } from '../../engine/index.js';

/** File in the control plane's data dir holding the HMAC key (32 random bytes, hex, mode 0600). */
export const NODE_TOKEN_KEY_FILE = 'node-tokens.key';

/**
 * What a token is for: `join` (carried in the node's boot configuration, presented once to join), `node`
 * (returned by join, presented on heartbeats, refreshed by each heartbeat reply) and `control` (the control
 * plane's requests to the agent: drain, shard rows, training, models; see control-token.ts).
 */
export type NodeTokenPurpose = 'join' | 'node' | 'control';

/** Lifetime of a control token, in ms: each request to an agent carries a freshly signed one. */
export const CONTROL_TOKEN_TTL_MS = 120_000;

export interface NodeTokenClaims {
  readonly purpose: NodeTokenPurpose;
  readonly nodeId: string;
  /** The row's idempotency token at issue time: the launch the token belongs to. */
  readonly launch: string;
  /** Expiry in ms since the epoch, if any. */
  readonly expiresAt?: number;
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/**
 * HMAC-SHA256-signed bearer tokens for node agents: `base64url(claims JSON) "." base64url(mac)`. Never stored
 * in the database. A join token is bound to one launch (the row's idempotency token): it stops working as
 * soon as the row moves to another launch or is deleted. Its expiry is derived from the launch
 * (`sys_nodes.launched_at` + the join TTL), not from the time of signing, so a retried launch sends
 * byte-identical boot data (EC2 rejects a reused ClientToken with changed UserData) while the token is still
 * short-lived; the join route makes it single-use. Node tokens expire (`nodeTokenTtlMs`) and are refreshed by
 * heartbeats.
 */
export class NodeTokens {
  constructor(
    private readonly key: Buffer,
    /** Lifetime of a node (heartbeat) token, in ms. Default 24 hours (`reconciler.nodeTokenTtlMs`). */
    readonly nodeTokenTtlMs = 86_400_000,
  ) {
    if (key.length < 32) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `node token key must be at least 32 bytes, got ${key.length}`,
      );
    }
  }

  /** Loads the key from `<dataDir>/node-tokens.key`, creating it (mode 0600) if missing. */
  static fromDataDir(dataDir: string, nodeTokenTtlMs?: number): NodeTokens {
    mkdirSync(dataDir, { recursive: true });
    const path = join(dataDir, NODE_TOKEN_KEY_FILE);
    let hex: string;
    try {
      hex = readFileSync(path, 'utf8').trim();
    } catch {
      hex = randomBytes(32).toString('hex');
      try {
        writeFileSync(path, hex, { mode: 0o600, flag: 'wx' });
      } catch {
        hex = readFileSync(path, 'utf8').trim(); // another process created it first
      }
    }
    chmodSync(path, 0o600);
    return new NodeTokens(Buffer.from(hex, 'hex'), nodeTokenTtlMs);
  }

  sign(claims: NodeTokenClaims): string {
    const body = b64(
      JSON.stringify({ p: claims.purpose, n: claims.nodeId, l: claims.launch, e: claims.expiresAt }),
    );
    return `${body}.${b64(this.mac(body))}`;
  }

  /** @param expiresAt ms since the epoch: the launch's `launched_at` + the join TTL (deterministic per launch). */
  joinToken(nodeId: string, launch: string, expiresAt: number): string {
    return this.sign({ purpose: 'join', nodeId, launch, expiresAt });
  }

  nodeToken(nodeId: string, launch: string, now: number): string {
    return this.sign({ purpose: 'node', nodeId, launch, expiresAt: now + this.nodeTokenTtlMs });
  }

  /**
   * The key node `nodeId`'s agent checks control tokens of launch `launch` with (hex, 32 bytes): derived from
   * this control plane's key, so it is never stored, and different for every node and launch. Handed to the
   * agent in the join and heartbeat replies (over the agent's own authenticated request), never sent elsewhere.
   */
  controlKey(nodeId: string, launch: string): string {
    return createHmac('sha256', this.key).update(`control-key\0${nodeId}\0${launch}`).digest('hex');
  }

  /**
   * A control token for a request to node `nodeId`'s agent: claims `{control, nodeId, launch, expiresAt = now +
   * CONTROL_TOKEN_TTL_MS}` signed with {@link NodeTokens.controlKey}, so only that node's agent (of that launch)
   * accepts it, and only until it expires. See `verifyControlToken`.
   */
  controlToken(nodeId: string, launch: string, now: number): string {
    const body = b64(JSON.stringify({ p: 'control', n: nodeId, l: launch, e: now + CONTROL_TOKEN_TTL_MS }));
    const mac = createHmac('sha256', Buffer.from(this.controlKey(nodeId, launch), 'hex'))
      .update(body)
      .digest();
    return `${body}.${b64(mac)}`;
  }

  /**
   * Checks the signature, purpose (one of `purpose`, when a list) and expiry.
   * @throws InfrabaseError `UNAUTHENTICATED` naming what was wrong (never echoing the token).
   */
  verify(
    token: string,
    purpose: NodeTokenPurpose | readonly NodeTokenPurpose[],
    now: number,
  ): NodeTokenClaims {
    const accepted: readonly NodeTokenPurpose[] = typeof purpose === 'string' ? [purpose] : purpose;
    const what = accepted.join(' or ');
    const [body, mac, extra] = token.split('.');
    if (!body || !mac || extra !== undefined) {
      throw new InfrabaseError('UNAUTHENTICATED', `malformed ${what} token: expected <claims>.<signature>`);
    }
    const want = this.mac(body);
    const got = Buffer.from(mac, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want)) {
      throw new InfrabaseError('UNAUTHENTICATED', `${what} token has a bad signature`);
    }
    const c = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as {
      p: NodeTokenPurpose;
      n: string;
      l: string;
      e?: number;
    };
    if (!accepted.includes(c.p))
      throw new InfrabaseError('UNAUTHENTICATED', `expected a ${what} token, got a ${c.p} token`);
    if (c.e !== undefined && c.e <= now) {
      throw new InfrabaseError(
        'UNAUTHENTICATED',
        `${c.p} token of node ${c.n} expired at ${new Date(c.e).toISOString()}`,
      );
    }
    return { purpose: c.p, nodeId: c.n, launch: c.l, expiresAt: c.e };
  }

  private mac(body: string): Buffer {
    return createHmac('sha256', this.key).update(body).digest();
  }
}
