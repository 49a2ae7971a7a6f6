import type { CloudProvider } from '../../autoinfra/index.js';
import { createNodesModule } from '../nodes/index.js';
import type { ControlPlaneModule } from '../service.js';

/**
 * The nodes module with the providers the configuration enables: `local` always, `aws` and `gcp` when
 * `providers.<name>.enabled` (credentials come from the SDKs' default chains at the first call). Each cloud
 * SDK is loaded only when its provider is enabled: they take seconds to import.
 */
export const nodesModule: ControlPlaneModule = createNodesModule({
  providers: async (ctx, clusterId) => {
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
  },
});
