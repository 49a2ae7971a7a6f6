import { AwsProvider, type CloudProvider, GcpProvider } from '../../autoinfra/index.js';
import { createNodesModule } from '../nodes/index.js';
import type { ControlPlaneModule } from '../service.js';

/**
 * The nodes module with every provider the configuration allows: `local` always, `aws` always (credentials
 * are resolved by the SDK's default chain at the first call), `gcp` once `providers.gcp.project` is set.
 */
export const nodesModule: ControlPlaneModule = createNodesModule({
  providers: (ctx, clusterId) => {
    const providers: CloudProvider[] = [new AwsProvider(ctx.config.providers.aws, clusterId)];
    if (ctx.config.providers.gcp.project)
      providers.push(new GcpProvider(ctx.config.providers.gcp, clusterId));
    return providers;
  },
});
