/** The cloud providers with a test server. */
export type CloudKind = 'aws' | 'gcp';

export const GCP_PROJECT = 'infrabase-test';
export const AWS_REGION = 'us-east-1';
/** Zones the specs use; the test servers accept any. */
export const ZONES: Record<CloudKind, readonly [string, string]> = {
  aws: ['us-east-1a', 'us-east-1b'],
  gcp: ['us-central1-a', 'us-central1-b'],
};
export const INSTANCE_TYPE: Record<CloudKind, string> = { aws: 't3.small', gcp: 'e2-small' };
