/** Autoscaling policies: rows of `sys_scaling_policies` evaluated by plain SQL triggers on `sys_metrics`. */
export { scalingPoliciesExtension } from './extension.js';
export { NODE_TEMPLATE_KEYS } from './validation-schema.js';
