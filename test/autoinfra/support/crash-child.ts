/**
 * A control plane stand-in for the crash test (support/crash.ts): runs the Reconciler over `<db>` against a
 * cloud that survives this process being SIGKILLed, the orphan collector held off (grace 1 h) so one instance
 * per row must come from the idempotency tokens alone.
 * - `fake`: the file-backed fake cloud at `<cloud>` (a file path), with random latency around every provider
 *   call to widen the windows between "cloud call done" and "row updated";
 * - `aws` / `gcp`: the real SDK provider against the test server on 127.0.0.1:`<cloud>` (a port) that lives
 *   in the parent process, with the real boot data (join tokens signed with a key beside the database).
 * Usage: node crash-child.js <db> <fake|aws|gcp> <cloud> <seed> [--until-converged]
 */
import { dirname } from 'node:path';
import type { CloudProvider } from '../../../autoinfra/index.js';
import { seededRandom } from '../../../engine/index.js';
import { FakeProvider } from '../../fakes/fake-provider.js';
import { runCrashReconciler } from '../../support/crash-reconciler.js';
import { cloudBootData } from '../cloud/support/boot-data.js';

const [dbPath, kind, cloud, seedArg, mode] = process.argv.slice(2);
const random = seededRandom(Number(seedArg));
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function jitteredFake(path: string): CloudProvider {
  const fake = new FakeProvider({ name: 'aws', clusterId: 'c1', path });
  return {
    name: 'aws',
    create: async (spec, token, signal) => {
      await pause(random() * 10);
      const i = await fake.create(spec, token, signal);
      await pause(random() * 10);
      return i;
    },
    delete: (id, signal) => fake.delete(id, signal),
    get: async (id, signal) => {
      await pause(random() * 5);
      return fake.get(id, signal);
    },
    listOwned: (signal) => fake.listOwned(signal),
  };
}

if (kind === 'fake') {
  runCrashReconciler({ dbPath, provider: jitteredFake(cloud), clusterId: 'c1', random, mode });
} else {
  // Only the SDK under test is loaded: the Compute SDK alone takes seconds to import.
  const provider: CloudProvider =
    kind === 'gcp'
      ? (await import('../cloud/support/connect-gcp.js')).connectGcp(Number(cloud), 'c1')
      : (await import('../cloud/support/connect-aws.js')).connectAws(Number(cloud), 'c1');
  runCrashReconciler({
    dbPath,
    provider,
    userData: cloudBootData(provider, dirname(dbPath)),
    clusterId: 'c1',
    random,
    mode,
  });
}
