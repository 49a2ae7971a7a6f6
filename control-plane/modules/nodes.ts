import type { CloudProvider, TerminationGate } from '../../autoinfra/index.js';
import { createNodesModule } from '../nodes/index.js';
import type { ControlPlaneContext, ControlPlaneModule } from '../service.js';

/**
 * The nodes module with the providers the configuration enables: `local` always, `aws` and `gcp` when
 * `providers.<name>.enabled` (credentials come from the SDKs' default chains at the first call). Each cloud
 * SDK is loaded only when its provider is enabled: they take seconds to import.
 */
export const nodesModule: ControlPlaneModule = nodesModuleWith();

/** {@link nodesModule} with a termination gate (the data layer's, so a DELETE drains shards first). */
export function nodesModuleWith(terminationGate?: TerminationGate): ControlPlaneModule {
  return createNodesModule({ terminationGate, providers: cloudProviders });
}

/** The cloud providers the configuration enables, each SDK loaded on first use. */
async function cloudProviders(ctx: ControlPlaneContext, clusterId: string): Promise<CloudProvider[]> {
  const { aws, gcp } = ctx.config.providers;
  const providers: CloudProvider[] = [];
  if (aws.enabled) {
    const { AwsProvider } = await import('../../autoinfra/providers/aws/index.js');
    providers.push(new AwsProvider(aws, clusterId));
  }
  if (gcp.enabled) {
    const { GcpProvider } = await import('../../autoinfra/providers/gcp/index.js');
    providers.push(new GcpProvider(gcp, clusterId));
  }
  return providers;
}
