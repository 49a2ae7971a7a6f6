export { AwsProvider, type AwsProviderConfig, EC2_USER_DATA_MAX_BYTES } from './aws-provider.js';
export { type Ec2ErrorContext, fromEc2Error } from './errors.js';
export { clientTokenFor } from './instance-mapping.js';
