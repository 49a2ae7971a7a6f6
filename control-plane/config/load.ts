import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { PREDICT_ENV } from '../../agent/index.js';
import { InfrabaseError } from '../../engine/index.js';
import { type Config, type ConfigInput, configSchema } from './schema.js';
import { unknownKeysMessage } from './strict.js';

/** Environment variables read by {@link loadConfig}, and the config path each one sets. */
export const ENV_VARS: Readonly<Record<string, { path: string[]; type: 'string' | 'number' | 'boolean' }>> = {
  INFRABASE_DATA_DIR: { path: ['dataDir'], type: 'string' },
  INFRABASE_HOST: { path: ['host'], type: 'string' },
  INFRABASE_PORT: { path: ['port'], type: 'number' },
  INFRABASE_LOG_LEVEL: { path: ['log', 'level'], type: 'string' },
  INFRABASE_PG_PORT: { path: ['postgres', 'port'], type: 'number' },
  INFRABASE_SQL_WORKERS: { path: ['sql', 'workers'], type: 'number' },
  INFRABASE_SQL_TIMEOUT_MS: { path: ['sql', 'timeoutMs'], type: 'number' },
  // The same variables carry `predict` to the agents the control plane starts (agent/predict-env.ts).
  [PREDICT_ENV.maxTensorBytes]: { path: ['predict', 'maxTensorBytes'], type: 'number' },
  [PREDICT_ENV.workerMemoryBytes]: { path: ['predict', 'workerMemoryBytes'], type: 'number' },
  [PREDICT_ENV.nativeBatching]: { path: ['predict', 'nativeBatching'], type: 'boolean' },
  INFRABASE_HTTP_BODY_LIMIT_BYTES: { path: ['http', 'bodyLimitBytes'], type: 'number' },
  INFRABASE_AWS_REGION: { path: ['providers', 'aws', 'region'], type: 'string' },
  INFRABASE_AWS_ENDPOINT: { path: ['providers', 'aws', 'endpoint'], type: 'string' },
  INFRABASE_GCP_PROJECT: { path: ['providers', 'gcp', 'project'], type: 'string' },
  INFRABASE_GCP_API_ENDPOINT: { path: ['providers', 'gcp', 'apiEndpoint'], type: 'string' },
  INFRABASE_MESH_MODE: { path: ['mesh', 'mode'], type: 'string' },
};

/**
 * `INFRABASE_*` variables that are not configuration settings, read where they apply: the CLI's connection
 * (`INFRABASE_URL`, `INFRABASE_TOKEN`), the config file (`INFRABASE_CONFIG`), the agent's boot data, and switches of tests and benchmarks (`INFRABASE_TEST_*`, `INFRABASE_BENCH_*`).
 * Any other `INFRABASE_*` variable is refused by {@link loadConfig} as an unknown setting.
 */
export const OTHER_ENV_VARS: readonly string[] = [
  'INFRABASE_URL',
  'INFRABASE_TOKEN',
  'INFRABASE_CONFIG',
  'INFRABASE_JOIN_TOKEN',
  'INFRABASE_AGENT_CONFIG',
];
const OTHER_ENV_PREFIXES = ['INFRABASE_TEST_', 'INFRABASE_BENCH_'];

export interface ConfigSources {
  /** A JSON or YAML file (`--config`, or `INFRABASE_CONFIG`). */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags; highest precedence. */
  flags?: ConfigInput;
}

/**
 * Builds the configuration from defaults < file < environment < flags and validates it.
 * `dataDir` is made absolute. Reading the configuration changes nothing in the process: its users pass the
 * values on (e.g. `predict` to the SQL workers and the local agents).
 * Strict: a key the schema does not know (in the file or the flags) and an `INFRABASE_*` variable that is neither
 * in {@link ENV_VARS} nor {@link OTHER_ENV_VARS} are errors naming the key, the nearest accepted one and all
 * accepted ones.
 * @throws InfrabaseError `INVALID_ARGUMENT` listing every invalid setting with its path and what is accepted.
 */
export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const file = sources.file ?? env.INFRABASE_CONFIG;
  let merged: Record<string, unknown> = {};
  if (file) merged = deepMerge(merged, readConfigFile(file));
  merged = deepMerge(merged, fromEnv(env));
  merged = deepMerge(merged, (sources.flags ?? {}) as Record<string, unknown>);
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new InfrabaseError('INVALID_ARGUMENT', `invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return { ...result.data, dataDir: resolve(result.data.dataDir) };
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `cannot read config file ${path}: ${(err as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `config file ${path} is not valid JSON/YAML: ${(err as Error).message}`,
    );
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InfrabaseError('INVALID_ARGUMENT', `config file ${path} must hold an object at the top level`);
  }
  return value as Record<string, unknown>;
}

function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const unknown = Object.keys(env).filter(
    (name) =>
      name.startsWith('INFRABASE_') &&
      !(name in ENV_VARS) &&
      !OTHER_ENV_VARS.includes(name) &&
      !OTHER_ENV_PREFIXES.some((p) => name.startsWith(p)),
  );
  if (unknown.length > 0) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `invalid configuration:\n  environment: ${unknownKeysMessage(unknown, [...Object.keys(ENV_VARS), ...OTHER_ENV_VARS])}`,
    );
  }
  const out: Record<string, unknown> = {};
  for (const [name, { path, type }] of Object.entries(ENV_VARS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    let value: unknown = raw;
    if (type === 'number') {
      value = Number(raw);
      if (!Number.isFinite(value)) {
        throw new InfrabaseError('INVALID_ARGUMENT', `${name}=${JSON.stringify(raw)} is not a number`);
      }
    } else if (type === 'boolean') {
      value = BOOLEAN_ENV_VALUES.get(raw.toLowerCase());
      if (value === undefined) {
        throw new InfrabaseError(
          'INVALID_ARGUMENT',
          `${name}=${JSON.stringify(raw)} is not a boolean; accepted: ${[...BOOLEAN_ENV_VALUES.keys()].join(', ')}`,
        );
      }
    }
    let target = out;
    for (const key of path.slice(0, -1)) {
      target[key] ??= {};
      target = target[key] as Record<string, unknown>;
    }
    target[path[path.length - 1]] = value;
  }
  return out;
}

/** What a boolean environment variable accepts (case-insensitive). */
const BOOLEAN_ENV_VALUES: ReadonlyMap<string, boolean> = new Map([
  ['1', true],
  ['true', true],
  ['0', false],
  ['false', false],
]);

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    const prev = out[k];
    out[k] =
      isPlainObject(prev) && isPlainObject(v)
        ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

const isPlainObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
