/**
 * Test servers for the cloud APIs infrabase drives, used with the real SDKs: an EC2 Query API server and a
 * Compute REST API server, both with fault injection and call records.
 */
export * from './ec2/index.js';
export * from './faults/index.js';
export * from './gce/index.js';
