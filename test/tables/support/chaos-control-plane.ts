/**
 * Child process of the distributed-table chaos run: a control plane (nodes with the local provider and the
 * data layer's termination gate, distributed tables) on a fixed loopback port and data dir, so the parent can
 * SIGKILL it and start it again on the same data dir while the agents go on heartbeating to the same URL.
 * Prints one JSON line `{url, admin}` once it serves. Usage: node chaos-control-plane.js <data dir> <port>
 */
import { loadConfig, startControlPlane } from '../../../control-plane/index.js';
import { createLogger } from '../../../control-plane/logger.js';
import { createDistributedModule } from '../../../control-plane/modules/distributed.js';
import { createNodesModule } from '../../../control-plane/nodes/index.js';
import { DataLayer } from '../../../control-plane/tables/index.js';

const [dataDir, port] = process.argv.slice(2);
const config = loadConfig({
  env: {},
  flags: {
    dataDir,
    port: Number(port),
    log: { level: (process.env.CHAOS_LOG_LEVEL as 'warn' | undefined) ?? 'silent' },
    mesh: { mode: 'off' },
    postgres: { enabled: false },
    sql: { workers: 1 },
    reconciler: { heartbeatIntervalMs: 300, heartbeatTimeoutMs: 3000, resyncIntervalMs: 1000 },
  },
});
const layer = new DataLayer({ intervalMs: 100, maxConcurrentMoves: 2, nodeDeadAfterMs: 10_000 });
const cp = await startControlPlane(config, {
  logger: createLogger(config.log.level),
  modules: [
    createNodesModule({ terminationGate: (row) => layer.mayTerminate(row.id) }),
    createDistributedModule(layer),
  ],
});
process.stdout.write(`${JSON.stringify({ url: cp.url, admin: cp.tokens.admin })}\n`);
const stop = () => {
  cp.stop().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
