import type { ControlPlaneModule } from '../service.js';
import { metricsModule } from './metrics.js';
import { nodesModule } from './nodes.js';
import { trainingModule } from './training.js';

/**
 * Every module the control plane runs, in start order. Each contributes engine extensions, background
 * services and HTTP routes (see {@link ControlPlaneModule}).
 */
export function controlPlaneModules(): ControlPlaneModule[] {
  return [metricsModule, nodesModule, trainingModule];
}

export { userSqlExtensions } from './extensions.js';
