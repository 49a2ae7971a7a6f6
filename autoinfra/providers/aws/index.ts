export { AwsProvider, type AwsProviderConfig } from './aws-provider.js';
export { type Ec2ErrorContext, fromEc2Error } from './errors.js';
export { clientTokenFor } from './instance-mapping.js';
