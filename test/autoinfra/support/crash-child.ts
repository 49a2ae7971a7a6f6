/**
 * A control plane stand-in for the crash test: runs the Reconciler over `<db>` against a file-backed fake
 * cloud (`<cloud db>`) that survives this process being SIGKILLed. Random latency around every provider call
 * widens the windows between "cloud call done" and "row updated".
 * Usage: node crash-child.js <db> <cloud db> <cluster id> <seed> [--until-converged]
 */
import type { CloudProvider } from '../../../autoinfra/index.js';
import { seededRandom } from '../../../engine/index.js';
import { FakeProvider } from '../../fakes/fake-provider.js';
import { runCrashReconciler } from '../../support/crash-reconciler.js';

const [dbPath, cloudPath, clusterId, seedArg, mode] = process.argv.slice(2);
const random = seededRandom(Number(seedArg));
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fake = new FakeProvider({ name: 'aws', clusterId, path: cloudPath });
const jittered: CloudProvider = {
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
runCrashReconciler({ dbPath, provider: jittered, clusterId, random, mode });
