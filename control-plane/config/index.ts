export { type ConfigSources, ENV_VARS, loadConfig } from './load.js';
export { type Config, type ConfigInput, configSchema, LOG_LEVELS } from './schema.js';
