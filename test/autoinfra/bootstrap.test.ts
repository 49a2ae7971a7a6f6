import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  AGENT_CONFIG_PATH,
  renderCloudInit,
  renderGceStartupScript,
  shellQuote,
  validateAgentBootstrap,
} from '../../autoinfra/index.js';
import { EC2_USER_DATA_MAX_BYTES } from '../../autoinfra/providers/aws/index.js';

const spec = {
  controlPlaneUrl: 'https://203.0.113.10:7420',
  nodeId: 'n-0a1b2c',
  joinToken: 'jt_Zm9vYmFyYmF6cXV4LmV4cGlyZXM',
  joinTokenExpiresAt: 1_900_000_000_000,
  heartbeatIntervalMs: 2_000,
  agentPackage: 'infrabase@0.1.0',
};

/** The largest values validation lets through: a 512-character token, a long URL and package spec. */
const largest = {
  ...spec,
  controlPlaneUrl: `https://${'a'.repeat(240)}.example:7420`,
  nodeId: 'n'.repeat(63),
  joinToken: 'J'.repeat(512),
  agentPackage: `@${'s'.repeat(100)}/${'p'.repeat(100)}@${'1'.repeat(50)}`,
};

/** Everything that may look like a credential: long base64/hex runs, key words. */
function secretsBesidesToken(text: string): string[] {
  const rest = text.split(spec.joinToken).join('');
  const found = rest.match(/[A-Za-z0-9+/]{40,}={0,2}|[0-9a-f]{32,}/g) ?? [];
  const words =
    rest.match(/PrivateKey|AWS_SECRET|aws_secret|SecretAccessKey|BEGIN [A-Z ]*PRIVATE|password/gi) ?? [];
  return [...found, ...words];
}

describe('renderCloudInit', () => {
  const text = renderCloudInit(spec);
  const doc = parse(text);

  it('is #cloud-config YAML that installs wireguard-tools and writes the agent config and unit', () => {
    expect(text.startsWith('#cloud-config\n')).toBe(true);
    expect(doc.packages).toContain('wireguard-tools');
    const paths = doc.write_files.map((f: { path: string }) => f.path);
    expect(paths).toEqual([AGENT_CONFIG_PATH, '/etc/systemd/system/infrabase-agent.service']);
    expect(doc.write_files[0].permissions).toBe('0600');
    expect(doc.runcmd[0][2]).toMatch(/systemctl enable --now infrabase-agent.service/);
    expect(doc.runcmd[0][2]).toMatch(/npm install --global .*'infrabase@0\.1\.0'/);
  });

  it('writes an agent config with the endpoint, node id and join token', () => {
    expect(parse(doc.write_files[0].content)).toEqual({
      dataDir: '/var/lib/infrabase',
      agent: {
        nodeId: 'n-0a1b2c',
        controlPlaneUrl: 'https://203.0.113.10:7420',
        joinToken: spec.joinToken,
        joinTokenExpiresAt: 1_900_000_000_000,
        heartbeatIntervalMs: 2_000,
      },
      mesh: { mode: 'auto' },
    });
    expect(doc.write_files[1].content).toMatch(/ExecStart=\/usr\/local\/bin\/infrabase agent --config/);
  });

  it('carries no secret beyond the join token, which appears once', () => {
    expect(text.split(spec.joinToken).length - 1).toBe(1);
    expect(secretsBesidesToken(text)).toEqual([]);
  });

  it("stays under EC2's 16 KB user data limit with the largest values it accepts", () => {
    const bytes = Buffer.byteLength(renderCloudInit(largest), 'utf8');
    expect(EC2_USER_DATA_MAX_BYTES).toBe(16_384);
    expect(bytes).toBeLessThan(EC2_USER_DATA_MAX_BYTES);
  });

  it('renders the same bytes for the same spec (a retried RunInstances must repeat its UserData)', () => {
    expect(renderCloudInit({ ...spec })).toBe(text);
    expect(renderGceStartupScript({ ...spec })).toBe(renderGceStartupScript(spec));
  });
});

describe('renderGceStartupScript', () => {
  const script = renderGceStartupScript(spec);

  it('is a POSIX shell script that parses, runs once, and writes the same agent config', () => {
    execFileSync('sh', ['-n'], { input: script });
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    expect(script).toMatch(/apt-get install -y -q wireguard-tools/);
    expect(script).toMatch(/^\[ -f \/var\/lib\/infrabase\/\.bootstrapped \] && exit 0$/m);
    const body = /<<'INFRABASE_AGENT_CONFIG'\n([\s\S]*?)\nINFRABASE_AGENT_CONFIG\n/.exec(script)?.[1] ?? '';
    expect(parse(body).agent.joinToken).toBe(spec.joinToken);
    expect(script).toMatch(/umask 077 && cat > \/etc\/infrabase\/agent.yaml/);
  });

  it('carries no secret beyond the join token, which appears once', () => {
    expect(script.split(spec.joinToken).length - 1).toBe(1);
    expect(secretsBesidesToken(script)).toEqual([]);
  });
});

describe('validateAgentBootstrap', () => {
  it('rejects values that could break out of YAML or shell, naming the field', () => {
    expect(() => validateAgentBootstrap({ ...spec, controlPlaneUrl: "https://x/'$(reboot)" })).toThrow(
      /controlPlaneUrl/,
    );
    expect(() => validateAgentBootstrap({ ...spec, controlPlaneUrl: 'https://u:p@x' })).toThrow(
      /credentials/,
    );
    expect(() => validateAgentBootstrap({ ...spec, nodeId: 'A B' })).toThrow(/nodeId 'A B'/);
    expect(() => validateAgentBootstrap({ ...spec, joinToken: "short'" })).toThrow(
      /joinToken \(6 characters\)/,
    );
    expect(() => validateAgentBootstrap({ ...spec, agentPackage: 'x; rm -rf /' })).toThrow(/agentPackage/);
    expect(() => validateAgentBootstrap({ ...spec, heartbeatIntervalMs: 0.5 })).toThrow(
      /heartbeatIntervalMs 0.5 must be a positive integer of ms/,
    );
  });

  it('quotes shell values safely', () => {
    expect(execFileSync('sh', ['-c', `printf %s ${shellQuote("it's $HOME")}`], { encoding: 'utf8' })).toBe(
      "it's $HOME",
    );
  });
});
