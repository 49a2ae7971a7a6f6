import { InfrabaseError } from '../../engine/index.js';

/**
 * The idempotency token of one launch attempt, derived from the row: `<node id>-<generation>-<placement>`.
 * `generation` is the row's `attempts` after the increment that starts the attempt, so every new attempt
 * (after a capacity error or a vanished instance) has a new token, while a retry of the same attempt, also
 * after a crash, reuses the stored one. The placement index is part of the token so that a restarted
 * reconciler repeats exactly the same request (EC2 answers `IdempotentParameterMismatch` otherwise).
 *
 * @example idempotencyToken('n-1a2b', 3, 0) // 'n-1a2b-3-0'
 */
export function idempotencyToken(nodeId: string, generation: number, placementIndex: number): string {
  return `${nodeId}-${generation}-${placementIndex}`;
}

/**
 * Parses a token made by {@link idempotencyToken}.
 * @throws InfrabaseError `INVALID_ARGUMENT` when `token` is not `<node id>-<n>-<n>` for this node.
 */
export function parseIdempotencyToken(
  nodeId: string,
  token: string,
): { generation: number; placementIndex: number } {
  const m = /^(.*)-(\d+)-(\d+)$/.exec(token);
  if (!m || m[1] !== nodeId) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `idempotency token ${JSON.stringify(token)} is not of the form ${nodeId}-<generation>-<placement>`,
    );
  }
  return { generation: Number(m[2]), placementIndex: Number(m[3]) };
}
