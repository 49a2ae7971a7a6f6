import { type NodeRow, Reconciler } from '../../autoinfra/index.js';
import type { CloudProvider } from '../../autoinfra/provider.js';
import { openDatabase, type Random } from '../../engine/index.js';

/**
 * The body of a crash-test child (the control-plane stand-in): runs the Reconciler over `dbPath` with
 * `provider`, the orphan collector held off (grace 1 h) so one instance per row must come from the idempotency
 * tokens alone, and writes `started` on stdout. With `--until-converged` it exits 0 once every row has its
 * instance and is booting or ready.
 */
export function runCrashReconciler(options: {
  dbPath: string;
  provider: CloudProvider;
  clusterId: string;
  random: Random;
  mode?: string;
  /** The reconciler's boot data; default `boot <id> <token>`. */
  userData?: (row: NodeRow, token: string) => string;
}): void {
  const db = openDatabase(options.dbPath);
  const reconciler = new Reconciler({
    db,
    providers: [options.provider],
    clusterId: options.clusterId,
    random: options.random,
    concurrency: 8,
    resyncIntervalMs: 200,
    orphanGracePeriodMs: 3_600_000,
    backoff: { baseMs: 5, capMs: 100 },
    userData: options.userData ?? ((row, token) => `boot ${row.id} ${token}`),
  });
  reconciler.start();
  if (options.mode === '--until-converged') {
    const open = db
      .prepare(
        `SELECT count(*) FROM sys_nodes WHERE instance_id IS NULL OR status NOT IN ('booting', 'ready')`,
      )
      .pluck();
    const timer = setInterval(() => {
      if (open.get() === 0) {
        clearInterval(timer);
        reconciler.stop().then(() => process.exit(0));
      }
    }, 20);
  }
  process.stdout.write('started\n');
}
