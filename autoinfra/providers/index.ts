/**
 * The local provider. The aws and gcp adapters are imported from `./aws/index.js` and `./gcp/index.js` by
 * whoever enables them: their SDKs take seconds to load, which agents and a local-only control plane skip.
 */
export * from './local/index.js';
