import type { ShardCoordinator } from '../../engine/index.js';
import type { ControlPlaneModule } from '../service.js';
import { tableRoutes } from '../tables/index.js';
import { AgentClient, type CoordinatorOptions, TrainingCoordinatorService } from '../training/index.js';

/**
 * Federated training and sharded tables: the coordinator service over `sys_training_jobs`, and the
 * `/v1/tables/:name/*` load routes and `POST /v1/sql/cluster`. The control plane reaches agents with each
 * node's control credential (the context's `nodeTokens`).
 */
/** @param shards the data layer's shard reader, for cluster statements over distributed tables. */
export function createTrainingModule(
  options: Omit<CoordinatorOptions, 'shards'> = {},
  shards?: () => ShardCoordinator | undefined,
): ControlPlaneModule {
  return {
    name: 'training',
    services: () => [new TrainingCoordinatorService({ ...options, shards })],
    routes: (ctx) => [
      tableRoutes({
        db: ctx.db,
        agents: new AgentClient(ctx.nodeTokens),
        clock: ctx.clock,
        shards,
        sqlTimeouts: {
          defaultTimeoutMs: ctx.config.sql.timeoutMs,
          maxTimeoutMs: ctx.config.sql.maxTimeoutMs,
        },
      }),
    ],
  };
}
