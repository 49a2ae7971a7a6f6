import { createLifecycleLogModule } from '../lifecycle-log/index.js';
import type { ControlPlaneModule } from '../service.js';
import { DataLayer } from '../tables/index.js';
import { createDistributedModule } from './distributed.js';
import { metricsModule } from './metrics.js';
import { nodesModuleWith } from './nodes.js';
import { createTrainingModule } from './training.js';

/**
 * Every module the control plane runs, in start order. Each contributes engine extensions, background
 * services and HTTP routes (see {@link ControlPlaneModule}).
 */
export function controlPlaneModules(): ControlPlaneModule[] {
  const data = new DataLayer();
  return [
    metricsModule,
    nodesModuleWith((row) => data.mayTerminate(row.id)),
    createDistributedModule(data),
    createTrainingModule({}, () => data.coordinator),
    createLifecycleLogModule(),
  ];
}

export { userSqlExtensions } from './extensions.js';
export { SQL_WORKER_PLUGIN, type UserSqlPoolOptions, userSqlPool } from './sql-workers.js';
