export * from './metrics-route.js';
