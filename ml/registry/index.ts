/** The model registry over sys_models: import, validation triggers, per-connection catalog, session cache. */
export { ModelCatalog, type ModelRef, parseModelRef } from './catalog.js';
export {
  type ImportedModel,
  type ImportModelOptions,
  importModel,
  modelImportCommand,
} from './import-model.js';
export { modelVersions, type ShardModel, storeModelCopy } from './model-copy.js';
export {
  describeExpected,
  type InputLayout,
  isBatchable,
  type PredictPlan,
  planModel,
} from './model-plan.js';
export { type CheckedModel, loadCheckedModel, type PreparedModel, prepareModel } from './prepared-model.js';
export { modelTriggersSchema, registerModelTriggerFunctions } from './triggers.js';
