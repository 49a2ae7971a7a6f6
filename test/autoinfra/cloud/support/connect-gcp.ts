import { InstancesClient, ZoneOperationsClient } from '@google-cloud/compute';
import { GcpProvider } from '../../../../autoinfra/providers/gcp/index.js';
import { fakeGoogleAuthClient } from '../../../fakes/gce/fake-auth.js';
import { GCP_PROJECT, INSTANCE_TYPE, ZONES } from './cloud-constants.js';

/** The real-SDK gcp provider for cluster `clusterId` against the Compute test server on 127.0.0.1:`port`. */
export function connectGcp(port: number, clusterId: string): GcpProvider {
  const opts = {
    apiEndpoint: '127.0.0.1',
    port,
    protocol: 'http',
    authClient: fakeGoogleAuthClient() as never,
  };
  return new GcpProvider(
    {
      project: GCP_PROJECT,
      zone: ZONES.gcp[0],
      machineType: INSTANCE_TYPE.gcp,
      image: 'projects/debian-cloud/global/images/family/debian-12',
      network: 'global/networks/default',
    },
    clusterId,
    {
      clients: { instances: new InstancesClient(opts), zoneOperations: new ZoneOperationsClient(opts) },
      pollIntervalMs: 20,
    },
  );
}
