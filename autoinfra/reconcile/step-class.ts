import { isInfrabaseError } from '../../engine/index.js';
import type { NodeRow } from '../nodes/index.js';

/**
 * The step a reconcile took, in the few classes the `infrabase_reconcile_*` metrics use: `none` (row gone,
 * lost a race), `create` (launch steps: token written, create called, capacity error), `wait` (re-checks:
 * booting, checked, cooling off), `delete` (draining, terminating, an unregistered instance replaced), `mark` (status recorded: ready,
 * unreachable, vanished, failed — a re-check of a row that had already failed reports `failed` too) and `finalize` (row removed after termination).
 */
export type ReconcileActionClass = 'none' | 'create' | 'wait' | 'delete' | 'mark' | 'finalize';
/** `ok`, `requeue` (retryable error, backed off) or `error` (terminal error, retried only after 30 s). */
export type ReconcileResultClass = 'ok' | 'requeue' | 'error';

const CLASSES: Readonly<Record<string, ReconcileActionClass>> = {
  gone: 'none',
  raced: 'none',
  'token-written': 'create',
  created: 'create',
  capacity: 'create',
  cooling: 'wait',
  booting: 'wait',
  checked: 'wait',
  draining: 'delete',
  'waiting-for-data': 'wait',
  terminating: 'delete',
  unregistered: 'delete',
  ready: 'mark',
  unreachable: 'mark',
  vanished: 'mark',
  failed: 'mark',
  removed: 'finalize',
};

/** The class of a {@link ReconcileResult} `action`; unknown actions are `none`. */
export function reconcileActionClass(action: string): ReconcileActionClass {
  return Object.hasOwn(CLASSES, action) ? CLASSES[action] : 'none';
}

/**
 * The step a reconcile of `row` was attempting when it threw, read from the row as the step reads it:
 * `delete` for a row to terminate, `create` for a row without an instance, `wait` for a check of a running one,
 * `none` for a missing or failed row.
 */
export function attemptedActionClass(
  row: Pick<NodeRow, 'desired_state' | 'status' | 'instance_id'> | undefined,
): ReconcileActionClass {
  if (!row) return 'none';
  if (row.desired_state === 'terminated') return 'delete';
  if (row.status === 'failed') return 'none';
  return row.instance_id === null ? 'create' : 'wait';
}

/** The result class of a reconcile that threw `err`, by the same rule the reconciler backs off with. */
export function reconcileErrorClass(err: unknown): ReconcileResultClass {
  return !isInfrabaseError(err) || err.retryable ? 'requeue' : 'error';
}
