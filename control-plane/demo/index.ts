export { type DemoOptions, type DemoSummary, runDemo } from './run-demo.js';
export * from './scenario.js';
export { readTrace, retime, type TraceSample } from './trace.js';
