export * from './labels.js';
export * from './node-metrics.js';
export * from './retention.js';
export * from './sample-registry.js';
export * from './sampler.js';
export * from './write-samples.js';
