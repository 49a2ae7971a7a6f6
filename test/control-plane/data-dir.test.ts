import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE, readDataDirLock } from '../../control-plane/data-dir-lock.js';
import { ApiClient, loadConfig, startControlPlane } from '../../control-plane/index.js';
import { createLogger } from '../../control-plane/logger.js';
import { runCli, startUp } from '../support/cli.js';
import { ADULT_CSV, EXAMPLES } from '../support/data.js';
import { stopLocalAgents } from '../support/local-agents.js';
import { tempDir, waitFor } from '../support/tmp.js';

const modeOf = (path: string) => statSync(path).mode & 0o777;
/** Whether `pid` runs (a zombie, exited but not yet reaped by its parent, does not). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('one control plane per data dir', () => {
  let tmp: ReturnType<typeof tempDir>;
  let first: Awaited<ReturnType<typeof startUp>>;
  let dataDir: string;
  beforeAll(async () => {
    tmp = tempDir();
    dataDir = join(tmp.dir, 'infrabase-data');
    first = await startUp(['--port', '0', '--log-level', 'warn'], { cwd: tmp.dir });
  });
  afterAll(async () => {
    await first?.stop();
    tmp.cleanup();
  });

  it('a second up or demo on the same data dir refuses with the pid and URL of the first, which is unchanged', async () => {
    const api = new ApiClient(
      first.url,
      JSON.parse(readFileSync(join(dataDir, 'tokens.json'), 'utf8')).admin,
    );
    await api.sql('CREATE TABLE keep (x INTEGER)');
    await api.sql('INSERT INTO keep VALUES (42)');
    const snapshot = () => ({
      lock: readFileSync(join(dataDir, LOCK_FILE), 'utf8'),
      tokens: readFileSync(join(dataDir, 'tokens.json'), 'utf8'),
      files: readdirSync(dataDir)
        .filter((f) => !f.startsWith('infrabase.db'))
        .sort(),
    });
    const before = snapshot();
    const holder = readDataDirLock(dataDir)!;
    expect(holder).toMatchObject({ pid: first.child.pid, url: first.url });

    const second = await runCli(['up', '--port', '0'], { cwd: tmp.dir });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(
      `ALREADY_EXISTS: data dir ${dataDir} is in use by the control plane at ${first.url} (pid ${first.child.pid})`,
    );
    // On the same (busy) port as the first, the data dir is still what is reported.
    const samePort = await runCli(['up', '--port', new URL(first.url).port], { cwd: tmp.dir });
    expect(samePort.stderr).toContain(`(pid ${first.child.pid})`);
    const demo = await runCli(
      [
        'demo',
        '--adult',
        ADULT_CSV,
        '--trace',
        `${EXAMPLES}/timeseries/nab_cpu_utilization_asg_misconfiguration.csv`,
        '--port',
        '0',
        '--exit',
      ],
      { cwd: tmp.dir },
    );
    expect(demo.code).toBe(1);
    expect(demo.stderr).toContain(`in use by the control plane at ${first.url} (pid ${first.child.pid})`);

    expect(snapshot()).toEqual(before);
    expect(first.child.exitCode).toBeNull();
    expect((await api.sql('SELECT x FROM keep')).rows).toEqual([[42]]);
    // The CLI finds the running control plane's URL (port 0 here) from the data dir alone.
    const viaDir = await runCli(['sql', '--json', 'SELECT x FROM keep'], { cwd: tmp.dir });
    expect(JSON.parse(viaDir.stdout).rows).toEqual([[42]]);
  });

  it('up on a busy port creates nothing', async () => {
    const fresh = join(tmp.dir, 'never-created');
    const res = await runCli(['up', '--data-dir', fresh, '--port', new URL(first.url).port], {
      cwd: tmp.dir,
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/UNAVAILABLE: cannot listen on 127\.0\.0\.1:\d+: the port is in use/);
    expect(existsSync(fresh)).toBe(false);
  });

  it('a lock left by a dead process is taken over', async () => {
    const dir = join(tmp.dir, 'stale');
    mkdirSync(dir);
    // A pid that exited: the lock names it, as after a crash.
    const dead = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']));
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: dead, url: 'http://127.0.0.1:1' }));
    const cp = await startControlPlane(loadConfig({ flags: { dataDir: dir, port: 0 } }), {
      logger: createLogger('silent'),
    });
    try {
      expect(readDataDirLock(dir)).toMatchObject({ pid: process.pid, url: cp.url });
    } finally {
      await cp.stop();
    }
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});

describe('data dir modes and tokens', () => {
  it('forces the dir to 0700 and infrabase.db* to 0600 whatever they were, and never prints the tokens', async () => {
    const tmp = tempDir();
    const dataDir = join(tmp.dir, 'infrabase-data');
    try {
      const first = await startUp(['--port', '0', '--log-level', 'warn'], { cwd: tmp.dir });
      const tokens = JSON.parse(readFileSync(join(dataDir, 'tokens.json'), 'utf8'));
      expect(first.stdout()).toContain(
        `API tokens generated and stored in ${dataDir}/tokens.json (mode 0600)`,
      );
      expect(first.stdout()).not.toContain(tokens.admin);
      expect(first.stdout()).not.toContain(tokens.read);
      expect(await first.stop()).toBe(0);

      chmodSync(dataDir, 0o755);
      for (const f of readdirSync(dataDir))
        if (f.startsWith('infrabase.db')) chmodSync(join(dataDir, f), 0o644);
      writeFileSync(join(dataDir, 'infrabase.db-journal'), '', { mode: 0o666 });
      chmodSync(join(dataDir, 'infrabase.db-journal'), 0o666);

      const again = await startUp(['--port', '0', '--log-level', 'warn'], { cwd: tmp.dir });
      try {
        expect(again.stdout()).toContain(`API tokens: ${dataDir}/tokens.json`);
        expect(again.stdout()).not.toContain(tokens.admin);
        expect(modeOf(dataDir)).toBe(0o700);
        const dbFiles = readdirSync(dataDir).filter((f) => f.startsWith('infrabase.db'));
        expect(dbFiles).toEqual(
          expect.arrayContaining(['infrabase.db', 'infrabase.db-wal', 'infrabase.db-shm']),
        );
        for (const f of dbFiles) expect([f, modeOf(join(dataDir, f))]).toEqual([f, 0o600]);
      } finally {
        await again.stop();
      }
    } finally {
      tmp.cleanup();
    }
  });

  it('a new data dir gets 0700 and a new database 0600, with its -wal and -shm', async () => {
    const tmp = tempDir();
    const dataDir = join(tmp.dir, 'new');
    const cp = await startControlPlane(loadConfig({ flags: { dataDir, port: 0 } }), {
      logger: createLogger('silent'),
    });
    try {
      const api = new ApiClient(cp.url, cp.tokens.admin);
      await api.sql('CREATE TABLE t (x INTEGER)');
      await api.sql('INSERT INTO t VALUES (1)');
      expect(modeOf(dataDir)).toBe(0o700);
      for (const f of ['infrabase.db', 'infrabase.db-wal', 'infrabase.db-shm'])
        expect([f, modeOf(join(dataDir, f))]).toEqual([f, 0o600]);
    } finally {
      await cp.stop();
      tmp.cleanup();
    }
  });
});

describe('infrabase down', () => {
  let tmp: ReturnType<typeof tempDir>;
  let dataDir: string;
  beforeAll(() => {
    tmp = tempDir();
    dataDir = join(tmp.dir, 'infrabase-data');
  });
  afterAll(async () => {
    await stopLocalAgents(dataDir).catch(() => undefined);
    tmp.cleanup();
  });

  const agentPids = () =>
    existsSync(join(dataDir, 'nodes'))
      ? readdirSync(join(dataDir, 'nodes')).flatMap((id) => {
          const lock = join(dataDir, 'nodes', id, 'agent.pid');
          return existsSync(lock) ? [JSON.parse(readFileSync(lock, 'utf8')).pid as number] : [];
        })
      : [];

  async function upWithOneNode() {
    const up = await startUp(['--port', '0', '--log-level', 'warn'], { cwd: tmp.dir });
    const sql = (q: string) => runCli(['sql', '--json', q], { cwd: tmp.dir });
    expect((await sql("INSERT INTO sys_nodes (role) VALUES ('data')")).code).toBe(0);
    await waitFor(
      async () =>
        JSON.parse((await sql("SELECT count(*) FROM sys_nodes WHERE status = 'ready'")).stdout).rows[0][0] ===
        1,
      60_000,
      250,
    );
    return up;
  }

  it('Ctrl-C says which agents keep running; down --nodes stops them with no control plane running', async () => {
    const up = await upWithOneNode();
    const [agent] = agentPids();
    expect(alive(agent)).toBe(true);
    up.child.kill('SIGINT');
    expect(await new Promise((r) => up.child.once('exit', r))).toBe(0);
    expect(up.stdout()).toContain(
      `1 local node agent still running (the next \`infrabase up\` adopts it); to stop it: infrabase down --nodes --data-dir ${dataDir}`,
    );
    expect(alive(agent)).toBe(true);

    const down = await runCli(['down', '--nodes'], { cwd: tmp.dir, timeoutMs: 90_000 });
    expect(down).toMatchObject({ code: 0 });
    expect(down.stdout).toContain('1 local node terminated');
    expect(down.stdout).toContain(`no control plane is running for ${dataDir}`);
    expect(alive(agent)).toBe(false);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  });

  it('down --nodes terminates the nodes through the catalog, then stops the control plane', async () => {
    const up = await upWithOneNode();
    const [agent] = agentPids();
    const exited = new Promise((r) => up.child.once('exit', r));
    const down = await runCli(['down', '--nodes'], { cwd: tmp.dir, timeoutMs: 90_000 });
    expect(down).toMatchObject({ code: 0 });
    expect(down.stdout).toContain('1 local node terminated');
    expect(down.stdout).toContain(`stopped the control plane at ${up.url} (pid ${up.child.pid})`);
    expect(await exited).toBe(0);
    expect(alive(agent)).toBe(false);
    expect(up.stdout()).not.toContain('still running');
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
    // Nothing left to stop.
    const again = await runCli(['down'], { cwd: tmp.dir });
    expect(again).toMatchObject({ code: 0, stdout: `no control plane is running for ${dataDir}\n` });
  });

  it('down --nodes refuses to strand a distributed table; --discard-data drops it with the nodes and says so', async () => {
    const up = await upWithOneNode();
    const sql = (q: string) => runCli(['sql', '--json', q], { cwd: tmp.dir });
    await sql(
      `INSERT INTO sys_distributed_tables (name, columns, shard_count) VALUES ('kv', '[{"name":"k","type":"TEXT"}]', 4)`,
    );
    await waitFor(
      async () =>
        JSON.parse((await sql('SELECT schema_applied FROM sys_distributed_tables')).stdout).rows[0][0] === 1,
      60_000,
      250,
    );
    expect((await sql("INSERT INTO kv (k) VALUES ('a'), ('b')")).code).toBe(0);
    const [agent] = agentPids();
    const refused = await runCli(['down', '--nodes'], { cwd: tmp.dir, timeoutMs: 90_000 });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'CONFLICT: distributed table kv lives only on these data nodes; infrabase down --nodes --discard-data drops them with the nodes',
    );
    // Nothing was deleted: the node runs, the table answers.
    expect(alive(agent)).toBe(true);
    expect(
      JSON.parse((await sql("SELECT count(*) FROM sys_nodes WHERE desired_state = 'running'")).stdout).rows,
    ).toEqual([[1]]);
    expect(JSON.parse((await sql('SELECT count(*) FROM kv')).stdout).rows).toEqual([[2]]);

    const exited = new Promise((r) => up.child.once('exit', r));
    const down = await runCli(['down', '--nodes', '--discard-data'], { cwd: tmp.dir, timeoutMs: 90_000 });
    expect(down.stderr).toBe('');
    expect(down).toMatchObject({ code: 0 });
    expect(down.stdout).toContain(
      '--discard-data: dropping distributed table kv with the nodes; their rows are lost',
    );
    expect(down.stdout).toContain('1 local node terminated');
    expect(await exited).toBe(0);
    expect(alive(agent)).toBe(false);
  }, 180_000);
});
