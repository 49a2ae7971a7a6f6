export * from './buckets.js';
export * from './cloud.js';
export * from './ingest.js';
export * from './nodes.js';
export * from './predict.js';
export * from './reconcile.js';
export * from './sql.js';
export * from './training.js';
