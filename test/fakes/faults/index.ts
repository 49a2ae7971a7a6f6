export { type FaultKind, type FaultOptions, Faults } from './faults.js';
export { ManualClock } from './manual-clock.js';
export { TokenBucket } from './token-bucket.js';
