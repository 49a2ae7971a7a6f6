export { type BackoffOptions, fullJitterBackoff } from './backoff.js';
export { idempotencyToken, parseIdempotencyToken } from './idempotency-token.js';
export {
  type CloudCallMetrics,
  type CloudOperation,
  type CloudOutcome,
  cloudOutcomeOf,
  meteredProvider,
} from './metered-provider.js';
export { OrphanCollector, type OrphanCollectorOptions } from './orphan-collector.js';
export {
  type Orphan,
  type OrphanPlanInput,
  type OrphanReason,
  ownershipTags,
  planOrphans,
} from './orphans.js';
export {
  CapacityCooloff,
  capacityKey,
  choosePlacement,
  describePlacement,
  type Placement,
  type PlacementChoice,
  type PlacementSource,
  placementCandidates,
} from './placement.js';
export { rateLimitedProvider } from './rate-limited-provider.js';
export {
  bootingRecheckMs,
  type NodeLifecycleEvent,
  type ReconcileDeps,
  type ReconcileResult,
  reconcileNode,
  TERMINATION_GATE_RECHECK_MS,
  type TerminationGate,
} from './reconcile-node.js';
export { Reconciler, type ReconcilerOptions, type ReconcilerSettings } from './reconciler.js';
export {
  attemptedActionClass,
  type ReconcileActionClass,
  type ReconcileResultClass,
  reconcileActionClass,
  reconcileErrorClass,
} from './step-class.js';
export { TokenBucket, type TokenBucketOptions } from './token-bucket.js';
export { WorkQueue } from './work-queue.js';
