/**
 * Entry point of a node agent's placement SQL worker (a {@link SqlPool} `workerScript`): runs the read-only
 * shard statements of distributed tables (`POST /v1/placements/:group/:shard/query`) in a process of their
 * own, so the pool's time limit can kill a runaway one (a PREDICT over millions of rows) while the agent goes
 * on heartbeating. Arguments as worker-main.js, the database path being the agent's data dir: placements
 * under `<dir>/shards`, the model copies in `<dir>/shard.db`. Each statement gets a fresh read-only
 * connection to its placement ({@link PlacementFiles.query}: reference placement as `ref`, `shard.db` as
 * `models`, the extensions of its pool's worker plug-in: PREDICT), closed after it, so nothing a statement does outlives it.
 */
import { join } from 'node:path';
import {
  errorReply,
  exitWithParent,
  InfrabaseError,
  loadWorkerPlugin,
  PlacementFiles,
  type WorkerMessage,
  type WorkerRequest,
} from '../engine/index.js';

const dataDir = process.argv[2];
const parentPid = Number(process.argv[3]);
if (!dataDir || !Number.isInteger(parentPid) || !process.send) {
  console.error(
    'usage: placement-worker-main <agent data dir> <parent pid> (must be forked with an IPC channel)',
  );
  process.exit(2);
}
exitWithParent(parentPid);
const plugin = await loadWorkerPlugin(process.argv[4]);

const placements = new PlacementFiles(join(dataDir, 'shards'), {
  query: { extensions: plugin.extensions?.() ?? [], modelsPath: join(dataDir, 'shard.db') },
});
const send = (m: WorkerMessage) => process.send!(m);

process.on('message', (req: WorkerRequest) => {
  try {
    if (!req.placement || req.mode === 'describe' || req.handler) {
      throw new InfrabaseError('INVALID_ARGUMENT', 'a placement worker runs shard queries only');
    }
    const r = placements.query(req.placement.group, req.placement.shard, req.sql, req.params);
    send({
      type: 'result',
      id: req.id,
      result: { columns: r.columns, rows: r.rows as unknown[][], changes: 0 },
      kind: 'read',
    });
  } catch (err) {
    send(errorReply(req.id, err, 'read'));
  }
});
send({ type: 'ready' });
