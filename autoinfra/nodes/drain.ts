import type { NodeRow } from './node-row.js';
import type { NodeTokens } from './node-tokens.js';

/**
 * Asks the node's agent (at `row.endpoint`, the address the control plane derived itself; see routes.ts) to
 * stop accepting work: `POST http://<endpoint>/v1/drain` with a control token for that node. Best effort with a 2 s limit: an unreachable agent is terminated anyway. Never throws.
 */
export function drainAgent(tokens: NodeTokens) {
  return async (row: NodeRow, signal: AbortSignal): Promise<void> => {
    if (!row.endpoint || !row.idempotency_token) return;
    try {
      await fetch(`http://${row.endpoint}/v1/drain`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tokens.controlToken(row.id, row.idempotency_token, Date.now())}`,
        },
        signal: AbortSignal.any([signal, AbortSignal.timeout(2000)]),
      });
    } catch {
      /* unreachable: terminate anyway */
    }
  };
}
