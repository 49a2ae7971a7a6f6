/**
 * A control plane stand-in for the crash test: runs the Reconciler over `<db>` against a file-backed fake
 * cloud (`<cloud db>`) that survives this process being SIGKILLed. Random latency around every provider call
 * widens the windows between "cloud call done" and "row updated".
 * Usage: node crash-child.js <db> <cloud db> <cluster id> <seed> [--until-converged]
 */
import { type CloudProvider, Reconciler } from '../../../autoinfra/index.js';
import { openDatabase, seededRandom } from '../../../engine/index.js';
import { FakeProvider } from '../../fakes/fake-provider.js';

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
const db = openDatabase(dbPath);
const reconciler = new Reconciler({
  db,
  providers: [jittered],
  clusterId,
  random,
  concurrency: 8,
  resyncIntervalMs: 200,
  orphanGracePeriodMs: 3_600_000,
  backoff: { baseMs: 5, capMs: 100 },
  userData: (row, token) => `boot ${row.id} ${token}`,
});
reconciler.start();
if (mode === '--until-converged') {
  const timer = setInterval(() => {
    const open = db
      .prepare(
        `SELECT count(*) FROM sys_nodes WHERE instance_id IS NULL OR status NOT IN ('booting', 'ready')`,
      )
      .pluck()
      .get() as number;
    if (open === 0) {
      clearInterval(timer);
      reconciler.stop().then(() => process.exit(0));
    }
  }, 20);
}
process.stdout.write('started\n');
