import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema, loadConfig } from '../../control-plane/config/index.js';
import { startControlPlane } from '../../control-plane/index.js';
import { cloudReachabilityWarning } from '../../control-plane/nodes/index.js';
import { startUp } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const config = (input: Record<string, unknown>) => configSchema.parse(input);
const aws = { providers: { aws: { enabled: true } } };

describe('cloudReachabilityWarning', () => {
  it('says nothing while only the local provider is enabled, whatever the URL', () => {
    expect(cloudReachabilityWarning(config({}), 'http://127.0.0.1:7420')).toBeUndefined();
  });

  it('warns when a cloud provider is enabled and nodes would be told a loopback or wildcard URL', () => {
    expect(cloudReachabilityWarning(config(aws), 'http://127.0.0.1:7420')).toBe(
      'providers.aws is enabled but nodes are told to join at http://127.0.0.1:7420, a loopback address from ' +
        'the listen address (host 127.0.0.1; advertiseUrl unset): cloud instances cannot reach it and would ' +
        'never join. Set advertiseUrl to a URL they can reach (e.g. https://cp.example.com:7420).',
    );
    for (const url of [
      'http://localhost:7420',
      'http://[::1]:7420',
      'http://0.0.0.0:7420',
      'http://127.8.0.1/',
    ]) {
      expect(cloudReachabilityWarning(config(aws), url)).toContain(`join at ${url}`);
    }
    const both = config({
      advertiseUrl: 'http://localhost:7420',
      providers: { aws: { enabled: true }, gcp: { enabled: true, project: 'p' } },
    });
    expect(cloudReachabilityWarning(both, 'http://10.0.0.5:7420')).toMatch(
      /^providers\.aws and providers\.gcp are enabled but nodes are told to join at http:\/\/localhost:7420, a loopback address from advertiseUrl:/,
    );
  });

  it('says nothing when the advertised URL names another host', () => {
    const advertised = config({ ...aws, advertiseUrl: 'https://cp.example.com:7420' });
    expect(cloudReachabilityWarning(advertised, 'http://127.0.0.1:7420')).toBeUndefined();
    expect(cloudReachabilityWarning(config(aws), 'http://10.0.0.5:7420')).toBeUndefined();
  });
});

describe('a control plane with a cloud provider and a loopback URL', () => {
  const dirs: { cleanup: () => void }[] = [];
  let stop: (() => Promise<unknown>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
    for (const d of dirs.splice(0)) d.cleanup();
  });

  it('returns the warning from startControlPlane and logs it at warn', async () => {
    const tmp = tempDir('cloud-url-warning-');
    dirs.push(tmp);
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const config = loadConfig({
      env: {},
      flags: {
        dataDir: tmp.dir,
        port: 0,
        providers: { aws: { enabled: true, endpoint: 'http://127.0.0.1:9' } },
      },
    });
    // no modules: the warning comes from the configuration alone, and no EC2 client is built
    const cp = await startControlPlane(config, { logger, modules: [] });
    stop = () => cp.stop();
    const warning = `providers.aws is enabled but nodes are told to join at ${cp.url}, a loopback address`;
    expect(cp.warnings).toEqual([expect.stringContaining(warning)]);
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, msg: cp.warnings[0] }));
  });

  it('is printed in the banner of infrabase up', async () => {
    const tmp = tempDir('cloud-url-warning-');
    dirs.push(tmp);
    const file = join(tmp.dir, 'infrabase.json');
    // EC2 at a closed loopback port: the orphan collector's calls fail here and never leave the host.
    writeFileSync(
      file,
      JSON.stringify({
        providers: { aws: { enabled: true, endpoint: 'http://127.0.0.1:9', maxAttempts: 1 } },
      }),
    );
    const up = await startUp(['--data-dir', join(tmp.dir, 'data'), '--port', '0', '--config', file], {
      env: {
        AWS_ACCESS_KEY_ID: 'AKIDTESTTESTTESTTEST',
        AWS_SECRET_ACCESS_KEY: 'dummy-secret-for-tests',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    });
    stop = up.stop;
    expect(up.stdout()).toContain(
      `\nwarning: providers.aws is enabled but nodes are told to join at ${up.url}, a loopback address`,
    );
  }, 60_000);
});
