import { EC2Client } from '@aws-sdk/client-ec2';
import { AwsProvider } from '../../../../autoinfra/providers/aws/index.js';
import { FAKE_AWS_CREDENTIALS } from '../../../fakes/ec2/index.js';
import { AWS_REGION, INSTANCE_TYPE } from './cloud-constants.js';

/**
 * The real-SDK aws provider for cluster `clusterId` against the EC2 test server on 127.0.0.1:`port` (static
 * fake credentials; SDK retries off, so every attempt is the reconciler's own). Imports only the EC2 SDK, so
 * a crash-test child starts fast.
 */
export function connectAws(port: number, clusterId: string): AwsProvider {
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new EC2Client({
    endpoint,
    region: AWS_REGION,
    credentials: FAKE_AWS_CREDENTIALS,
    maxAttempts: 1,
  });
  return new AwsProvider(
    {
      region: AWS_REGION,
      endpoint,
      imageId: 'ami-0123456789abcdef0',
      instanceType: INSTANCE_TYPE.aws,
      securityGroupIds: [],
      maxAttempts: 1,
    },
    clusterId,
    client,
  );
}
