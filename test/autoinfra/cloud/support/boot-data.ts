import { bootData, type CloudProvider, type NodeRow, NodeTokens } from '../../../../autoinfra/index.js';

/**
 * The control plane's real boot data for `provider` (cloud-init for EC2, the startup script for GCE), with join
 * tokens signed by the key in `dataDir` (created on first use, so a restarted reconciler signs the same) or a
 * fixed test key: a launch retried, also after a crash, must send byte-identical user data or EC2 answers
 * IdempotentParameterMismatch.
 */
export function cloudBootData(
  provider: CloudProvider,
  dataDir?: string,
): (row: NodeRow, token: string) => string {
  return bootData({
    tokens: dataDir ? NodeTokens.fromDataDir(dataDir) : new NodeTokens(Buffer.alloc(32, 7)),
    controlPlaneUrl: () => 'http://127.0.0.1:7420',
    heartbeatIntervalMs: 2_000,
    formatOf: () => provider.bootFormat,
  });
}
