import { AwsProvider, type CloudProvider, GcpProvider } from '../../autoinfra/index.js';
import { createNodesModule } from '../nodes/index.js';
import type { ControlPlaneModule } from '../service.js';

/**
 * The nodes module with the providers the configuration enables: `local` always, `aws` and `gcp` when
 * `providers.<name>.enabled` (credentials come from the SDKs' default chains at the first call).
 */
export const nodesModule: ControlPlaneModule = createNodesModule({
  providers: (ctx, clusterId) => {
    const { aws, gcp } = ctx.config.providers;
    const providers: CloudProvider[] = [];
    if (aws.enabled) providers.push(new AwsProvider(aws, clusterId));
    if (gcp.enabled) providers.push(new GcpProvider(gcp, clusterId));
    return providers;
  },
});
