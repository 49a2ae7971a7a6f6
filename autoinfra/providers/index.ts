/** The cloud providers behind the CloudProvider contract. */
export * from './aws/index.js';
export * from './gcp/index.js';
export * from './local/index.js';
