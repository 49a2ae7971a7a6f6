export { Ec2ApiError, type Ec2Instance, Ec2InstanceStore, type Ec2Timing } from './instance-store.js';
export { type Ec2Call, type FakeEc2Options, FakeEc2Server } from './server.js';

/** Static credentials for tests only; the fake server does not verify signatures. */
export const FAKE_AWS_CREDENTIALS = {
  accessKeyId: 'AKIDFAKEFAKEFAKEFAKE',
  secretAccessKey: 'fake-secret-for-tests',
};
