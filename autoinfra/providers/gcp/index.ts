export { type ComputeErrorContext, fromComputeError, fromOperationError } from './errors.js';
export {
  type GcpClients,
  GcpProvider,
  type GcpProviderConfig,
  type GcpProviderOptions,
} from './gcp-provider.js';
export {
  instanceIdOf,
  instanceNameFor,
  parseInstanceId,
  REQUEST_ID_NAMESPACE,
  requestIdFor,
} from './naming.js';
