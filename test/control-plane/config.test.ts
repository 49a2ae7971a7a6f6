import { writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentPredictEnv, predictLimitsFromEnv } from '../../agent/index.js';
import { loadConfig } from '../../control-plane/index.js';
import { tempDir } from '../support/tmp.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

describe('loadConfig', () => {
  it('defaults to the embedded setup: ./infrabase-data made absolute, port 7420, 30 s statement limit', () => {
    const config = loadConfig({ env: {} });
    expect(isAbsolute(config.dataDir)).toBe(true);
    expect(config.dataDir.endsWith('infrabase-data')).toBe(true);
    expect(config.port).toBe(7420);
    expect(config.sql.timeoutMs).toBe(30_000);
  });

  it('takes a file, then the environment, then flags, each overriding the one before', () => {
    const file = join(tmp.dir, 'c.yaml');
    writeFileSync(file, 'port: 8000\nhost: 0.0.0.0\nsql:\n  workers: 3\n');
    const config = loadConfig({ file, env: { INFRABASE_PORT: '8001' }, flags: { sql: { workers: 4 } } });
    expect(config.host).toBe('0.0.0.0');
    expect(config.port).toBe(8001);
    expect(config.sql.workers).toBe(4);
  });

  it('takes predict.maxTensorBytes (default 256 MiB) without touching the environment, and hands it to agents', () => {
    const before = { ...process.env };
    expect(loadConfig({ env: { INFRABASE_SQL_WORKER_MEMORY_BYTES: '0' } }).predict.workerMemoryBytes).toBe(0);
    expect(loadConfig({ env: {} }).predict.maxTensorBytes).toBe(256 * 1024 * 1024);
    const config = loadConfig({ env: { INFRABASE_MODEL_MAX_TENSOR_BYTES: '1048576' } });
    expect(config.predict.maxTensorBytes).toBe(1_048_576);
    expect(process.env).toEqual(before);
    expect(() => loadConfig({ env: {}, flags: { predict: { maxTensorBytes: 0 } } })).toThrow(
      /predict\.maxTensorBytes: /,
    );
    // What the local provider sets on an agent process, and what the agent reads back.
    const env = agentPredictEnv(config.predict);
    expect(predictLimitsFromEnv(env)).toEqual({
      maxTensorBytes: 1_048_576,
      workerMemoryBytes: 4 * 1024 ** 3,
      nativeBatching: true,
    });
    expect(predictLimitsFromEnv({})).toBeUndefined();
  });

  it('takes predict.nativeBatching (default true) from INFRABASE_PREDICT_NATIVE, and hands it to agents', () => {
    expect(loadConfig({ env: {} }).predict.nativeBatching).toBe(true);
    const off = loadConfig({ env: { INFRABASE_PREDICT_NATIVE: '0' } });
    expect(off.predict.nativeBatching).toBe(false);
    expect(loadConfig({ env: { INFRABASE_PREDICT_NATIVE: 'true' } }).predict.nativeBatching).toBe(true);
    expect(() => loadConfig({ env: { INFRABASE_PREDICT_NATIVE: 'off' } })).toThrow(
      /INFRABASE_PREDICT_NATIVE="off" is not a boolean; accepted: 1, true, 0, false/,
    );
    expect(predictLimitsFromEnv(agentPredictEnv(off.predict))?.nativeBatching).toBe(false);
    expect(predictLimitsFromEnv({ INFRABASE_PREDICT_NATIVE: '0' })).toEqual({
      maxTensorBytes: 256 * 1024 * 1024,
      workerMemoryBytes: 0,
      nativeBatching: false,
    });
  });

  it('lists every invalid setting with its path', () => {
    expect(() => loadConfig({ env: {}, flags: { port: 70000, sql: { workers: 0 } } })).toThrow(
      /port: .*\n.*sql\.workers: /s,
    );
  });

  it('says which environment variable is not a number', () => {
    expect(() => loadConfig({ env: { INFRABASE_PORT: 'eighty' } })).toThrow(
      /INFRABASE_PORT="eighty" is not a number/,
    );
  });

  it('rejects a config file that is not an object', () => {
    const file = join(tmp.dir, 'c.yaml');
    writeFileSync(file, '- a\n- b\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(/must hold an object/);
  });
});

describe('strict configuration', () => {
  it('refuses an unknown key in the file, naming it, the nearest accepted key and all of them', () => {
    const file = join(tmp.dir, 'c.yaml');
    writeFileSync(file, 'prot: 8000\nproviders:\n  aws:\n    regin: eu-west-1\n');
    let message = '';
    try {
      loadConfig({ file, env: {} });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(
      "(root): unknown key 'prot' (did you mean 'port'?); accepted keys: dataDir, host,",
    );
    expect(message).toContain(
      "providers.aws: unknown key 'regin' (did you mean 'region'?); accepted keys: enabled, region, endpoint,",
    );
  });

  it('names no nearest key when none is close', () => {
    expect(() => loadConfig({ env: {}, flags: { sql: { zzzzzz: 1 } } as never })).toThrow(
      /sql: unknown key 'zzzzzz'; accepted keys: workers, timeoutMs, maxTimeoutMs/,
    );
  });

  it('refuses an unknown INFRABASE_ variable, naming the nearest one', () => {
    expect(() => loadConfig({ env: { INFRABASE_PORTT: '1' } })).toThrow(
      /environment: unknown key 'INFRABASE_PORTT' \(did you mean 'INFRABASE_PORT'\?\); accepted keys: INFRABASE_DATA_DIR,/,
    );
    // Variables of the CLI, the agent and tests are not settings, and are let through.
    expect(loadConfig({ env: { INFRABASE_TOKEN: 't', INFRABASE_TEST_X: '1' } }).port).toBe(7420);
  });
});
