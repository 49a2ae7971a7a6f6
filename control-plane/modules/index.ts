import type { ControlPlaneModule } from '../service.js';

/**
 * Every module the control plane runs, in start order. Each contributes engine extensions, background
 * services and HTTP routes (see {@link ControlPlaneModule}).
 */
export function controlPlaneModules(): ControlPlaneModule[] {
  return [];
}

export { userSqlExtensions } from './extensions.js';
