import type { NodeSpec } from '../../../autoinfra/provider.js';

/**
 * A `NodeSpec` builder for one provider's tests: node `nodeId` with role `data`, labels `{ team: 'ml' }` and the
 * given user data, with `extra` fields laid over it.
 */
export function nodeSpecFor(
  provider: NodeSpec['provider'],
  userData: string,
): (nodeId: string, extra?: Partial<NodeSpec>) => NodeSpec {
  return (nodeId, extra = {}) => ({
    nodeId,
    provider,
    role: 'data',
    labels: { team: 'ml' },
    userData,
    ...extra,
  });
}

/** A fresh abort signal for one provider call, firing after 20 s so a hung test server fails the test. */
export const callSignal = (): AbortSignal => AbortSignal.timeout(20_000);

/** The error `p` rejects with; throws if it resolves instead. */
export async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}
