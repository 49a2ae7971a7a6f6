import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { checkControlToken } from '../../../control-plane/agent/shard-routes.js';
import { isInfrabaseError } from '../../../engine/index.js';

const request = (authorization?: string) => ({ headers: { authorization } }) as unknown as FastifyRequest;

function refusal(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected checkControlToken to throw');
}

describe('checkControlToken', () => {
  it('accepts the bearer token the control plane gave the agent', () => {
    expect(() => checkControlToken(request('Bearer ctl-secret'), () => 'ctl-secret')).not.toThrow();
  });

  it('refuses a different token of the same length, a shorter one and none as UNAUTHENTICATED', () => {
    for (const header of ['Bearer ctl-secreT', 'Bearer ctl', undefined]) {
      const err = refusal(() => checkControlToken(request(header), () => 'ctl-secret'));
      expect(isInfrabaseError(err, 'UNAUTHENTICATED')).toBe(true);
      expect((err as Error).message).toContain('needs the control plane token');
    }
  });

  it('refuses every request before the agent has joined', () => {
    const err = refusal(() => checkControlToken(request('Bearer anything'), () => undefined));
    expect(isInfrabaseError(err, 'UNAUTHENTICATED')).toBe(true);
    expect((err as Error).message).toContain('has not joined');
  });
});
