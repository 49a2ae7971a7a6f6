import type { ControlPlaneModule } from '../service.js';
import { DataLayer, distributedRoutes, distributedSqlWrites } from '../tables/index.js';

/**
 * Distributed tables: the data layer service (write coordinator, shard reader, rebalancer loop) and its
 * routes. The same {@link DataLayer} is the nodes module's termination gate.
 */
export function createDistributedModule(layer: DataLayer = new DataLayer()): ControlPlaneModule {
  return {
    name: 'distributed',
    services: () => [layer],
    routes: () => [distributedRoutes(() => layer.coordinator)],
    sqlWrites: () => distributedSqlWrites(() => layer.coordinator),
    shardReader: () => () => layer.coordinator,
  };
}
