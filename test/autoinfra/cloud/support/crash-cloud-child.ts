/**
 * A control plane stand-in for the cloud crash test: runs the Reconciler over `<db>` with the real SDK
 * provider of `<kind>` against a test server on 127.0.0.1:`<port>` that lives in the parent process, so the
 * cloud's state survives this process being SIGKILLed. The orphan collector is held off (grace 1 h): exactly
 * one instance per row must come from the idempotency tokens, not from cleaning up duplicates.
 * Usage: node crash-cloud-child.js <db> <aws|gcp> <port> <seed> [--until-converged]
 */
import { dirname } from 'node:path';
import type { CloudProvider } from '../../../../autoinfra/provider.js';
import { seededRandom } from '../../../../engine/index.js';
import { runCrashReconciler } from '../../../support/crash-reconciler.js';
import { cloudBootData } from './boot-data.js';

const [dbPath, kind, port, seedArg, mode] = process.argv.slice(2);
// Only the SDK under test is loaded: the Compute SDK alone takes seconds to import.
const provider: CloudProvider =
  kind === 'gcp'
    ? (await import('./connect-gcp.js')).connectGcp(Number(port), 'c1')
    : (await import('./connect-aws.js')).connectAws(Number(port), 'c1');
runCrashReconciler({
  dbPath,
  provider,
  // The real boot data, join tokens signed with a key beside the database: it must survive the kills unchanged.
  userData: cloudBootData(provider, dirname(dbPath)),
  clusterId: 'c1',
  random: seededRandom(Number(seedArg)),
  mode,
});
