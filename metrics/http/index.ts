export * from './metrics-route.js';
export * from './prometheus-targets.js';
