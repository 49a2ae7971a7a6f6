export { GceApiError } from './api-error.js';
export { ComputeStore, type GceInstance, type GceOperation, type GceTiming } from './compute-store.js';
export { FAKE_GOOGLE_TOKEN, fakeGoogleAuthClient } from './fake-auth.js';
export { type FilterTerm, matchesFilter, parseFilter } from './list-filter.js';
export { type FakeComputeOptions, FakeComputeServer, type GceCall } from './server.js';
