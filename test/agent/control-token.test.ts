import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { checkControlToken } from '../../agent/shard-routes.js';
import { CONTROL_TOKEN_TTL_MS, type ControlTokenCheck, NodeTokens } from '../../autoinfra/index.js';
import { isInfrabaseError } from '../../engine/index.js';

const T0 = Date.UTC(2030, 0, 1);
const tokens = new NodeTokens(Buffer.alloc(32, 7));
const request = (authorization?: string) => ({ headers: { authorization } }) as unknown as FastifyRequest;
/** What agent n-1 of launch L1 holds after its join: its id, the key from the join reply, a clock at `now`. */
const agent = (now = T0, nodeId = 'n-1', launch = 'n-1-1-0'): ControlTokenCheck => ({
  nodeId,
  key: () => tokens.controlKey(nodeId, launch),
  now: () => now,
});

function refusal(fn: () => void): Error {
  try {
    fn();
  } catch (err) {
    expect(isInfrabaseError(err, 'UNAUTHENTICATED')).toBe(true);
    return err as Error;
  }
  throw new Error('expected checkControlToken to throw');
}

describe('checkControlToken', () => {
  it('accepts a control token signed for this node and launch before it expires', () => {
    const token = tokens.controlToken('n-1', 'n-1-1-0', T0);
    expect(() => checkControlToken(request(`Bearer ${token}`), agent())).not.toThrow();
    expect(() =>
      checkControlToken(request(`Bearer ${token}`), agent(T0 + CONTROL_TOKEN_TTL_MS - 1)),
    ).not.toThrow();
  });

  it('refuses it once expired', () => {
    const token = tokens.controlToken('n-1', 'n-1-1-0', T0);
    expect(
      refusal(() => checkControlToken(request(`Bearer ${token}`), agent(T0 + CONTROL_TOKEN_TTL_MS))).message,
    ).toMatch(/control token expired at 2030-01-01T00:02:00/);
  });

  it("refuses another node's token (and a token of this node's previous launch)", () => {
    const other = tokens.controlToken('n-2', 'n-2-1-0', T0);
    expect(refusal(() => checkControlToken(request(`Bearer ${other}`), agent())).message).toMatch(
      /bad signature: not a token for this node and launch/,
    );
    const previous = tokens.controlToken('n-1', 'n-1-0-0', T0);
    expect(refusal(() => checkControlToken(request(`Bearer ${previous}`), agent())).message).toMatch(
      /bad signature/,
    );
  });

  it('refuses a token naming another node even when the key matched (a shared key never names two nodes)', () => {
    // An agent configured with n-2's key for some reason still checks the node id in the claims.
    const forN2 = tokens.controlToken('n-2', 'n-1-1-0', T0);
    const check: ControlTokenCheck = { ...agent(), key: () => tokens.controlKey('n-2', 'n-1-1-0') };
    expect(refusal(() => checkControlToken(request(`Bearer ${forN2}`), check)).message).toBe(
      'control token is for node n-2, not n-1',
    );
  });

  it('refuses a node token, a tampered token and none', () => {
    const nodeToken = tokens.nodeToken('n-1', 'n-1-1-0', T0);
    refusal(() => checkControlToken(request(`Bearer ${nodeToken}`), agent()));
    const token = tokens.controlToken('n-1', 'n-1-1-0', T0);
    const [body, mac] = token.split('.');
    const longer = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(body, 'base64url').toString()),
        e: T0 + 10 * CONTROL_TOKEN_TTL_MS,
      }),
    ).toString('base64url');
    refusal(() => checkControlToken(request(`Bearer ${longer}.${mac}`), agent()));
    expect(refusal(() => checkControlToken(request(undefined), agent())).message).toContain(
      'needs the control plane token',
    );
  });

  it('refuses every request before the agent has joined', () => {
    const token = tokens.controlToken('n-1', 'n-1-1-0', T0);
    const err = refusal(() =>
      checkControlToken(request(`Bearer ${token}`), { ...agent(), key: () => undefined }),
    );
    expect(err.message).toContain('has not joined');
  });
});
