export { ManualClock } from '../../support/manual-clock.js';
export { type FaultKind, type FaultOptions, Faults } from './faults.js';
export { TokenBucket } from './token-bucket.js';
