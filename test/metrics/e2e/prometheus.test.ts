import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../../control-plane/index.js';
import { retireNodesAndClose, startTestControlPlane } from '../../support/control-plane.js';
import { tempDir, waitFor } from '../../support/tmp.js';

/**
 * The Prometheus acceptance test: a real Prometheus (the Debian package's binary) discovers a control plane and
 * its two local agents through `GET /v1/prometheus/targets` (read-only token from a credentials file), scrapes
 * them every second for ~20 s, and its own HTTP API on loopback says every target is up and the heartbeat
 * ingest counter grew.
 */
const version = spawnSync('prometheus', ['--version'], { encoding: 'utf8' });
const skip = version.error ? 'the prometheus binary is not installed (apt-get install prometheus)' : null;

/** A free loopback TCP port (Prometheus reports the address it was given, not the one it bound). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

interface ActiveTarget {
  labels: Record<string, string>;
  health: string;
  lastError: string;
  scrapeUrl: string;
}

let cp: ControlPlane;
let close: () => Promise<void>;
let prom: ChildProcess | undefined;
let promExited: Promise<unknown> | undefined;
let promLog = '';
let promUrl: string;
let nodeIds: string[];
const tmp = tempDir('infrabase-prometheus-');

async function api<T>(path: string): Promise<T> {
  const res = await fetch(new URL(path, promUrl));
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error}`);
  return body.data;
}

async function activeTargets(): Promise<ActiveTarget[]> {
  return (await api<{ activeTargets: ActiveTarget[] }>('/api/v1/targets?state=active')).activeTargets;
}

async function query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const data = await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
    `/api/v1/query?query=${encodeURIComponent(promql)}`,
  );
  return data.result;
}

describe.skipIf(skip !== null)(
  `a real Prometheus discovering the cluster through http_sd${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    beforeAll(async () => {
      ({ cp, close } = await startTestControlPlane({
        reconciler: { heartbeatIntervalMs: 500, heartbeatTimeoutMs: 10_000, resyncIntervalMs: 500 },
      }));
      const db = cp.context.db;
      db.prepare("INSERT INTO sys_nodes (provider, role) VALUES ('local', 'data'), ('local', 'data')").run();
      // Agent processes take seconds to start on a loaded 2-core machine.
      await waitFor(
        () => db.prepare("SELECT count(*) FROM sys_nodes WHERE status = 'ready'").pluck().get() === 2,
        90_000,
        100,
      );
      nodeIds = db.prepare('SELECT id FROM sys_nodes ORDER BY id').pluck().all() as string[];

      const tokenFile = join(tmp.dir, 'read-token');
      writeFileSync(tokenFile, cp.tokens.read, { mode: 0o600 });
      const configFile = join(tmp.dir, 'prometheus.yml');
      writeFileSync(
        configFile,
        [
          'global:',
          '  scrape_interval: 1s',
          '  scrape_timeout: 1s',
          'scrape_configs:',
          '  - job_name: infrabase',
          '    http_sd_configs:',
          `      - url: ${new URL('/v1/prometheus/targets', cp.url).href}`,
          '        refresh_interval: 2s',
          '        authorization:',
          // Prometheus 2.42 (Debian 12) sends the bare credentials in http_sd unless the type is given.
          '          type: Bearer',
          `          credentials_file: ${tokenFile}`,
          '',
        ].join('\n'),
      );
      const check = spawnSync('promtool', ['check', 'config', configFile], { encoding: 'utf8' });
      if (check.status !== 0) throw new Error(`promtool check config: ${check.stdout}${check.stderr}`);
      const port = await freePort();
      promUrl = `http://127.0.0.1:${port}`;
      prom = spawn(
        'prometheus',
        [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${join(tmp.dir, 'tsdb')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--log.level=warn',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      prom.stderr!.setEncoding('utf8').on('data', (d: string) => {
        promLog += d;
      });
      promExited = new Promise((r) => prom!.once('exit', r));
      // Prometheus runs ~20 s: discovery every 2 s, a scrape of each target every second.
      await new Promise((r) => setTimeout(r, 20_000));
    }, 150_000);

    afterAll(async () => {
      if (prom?.pid !== undefined && prom.exitCode === null) {
        process.kill(prom.pid, 'SIGTERM');
        await Promise.race([promExited, new Promise((r) => setTimeout(r, 10_000))]);
        if (prom.exitCode === null) process.kill(prom.pid, 'SIGKILL');
      }
      if (cp) await retireNodesAndClose(cp, close);
      tmp.cleanup();
    }, 60_000);

    it('discovers the control plane and both agents with their target labels, all up', async () => {
      const targets = await waitFor(
        async () => {
          const t = await activeTargets();
          return t.length === 3 && t.every((x) => x.health === 'up') ? t : undefined;
        },
        20_000,
        500,
      ).catch(async (err) => {
        throw new Error(`${err}; targets: ${JSON.stringify(await activeTargets())}; log: ${promLog}`);
      });
      const byRole = (role: string) => targets.filter((t) => t.labels.role === role);
      expect(byRole('control-plane')).toHaveLength(1);
      expect(byRole('control-plane')[0].scrapeUrl).toBe(new URL('/metrics', cp.url).href);
      expect(
        byRole('data')
          .map((t) => ({ node_id: t.labels.node_id, provider: t.labels.provider }))
          .sort((a, b) => a.node_id.localeCompare(b.node_id)),
      ).toEqual(nodeIds.map((id) => ({ node_id: id, provider: 'local' })));
      const up = await query('up{job="infrabase"}');
      expect(up).toHaveLength(3);
      expect(up.every((s) => s.value[1] === '1')).toBe(true);
    });

    it('scrapes a non-zero heartbeat ingest counter from the control plane', async () => {
      const result = await query('infrabase_metrics_samples_ingested_total{source="heartbeat"}');
      expect(result).toHaveLength(1);
      expect(result[0].metric.role).toBe('control-plane');
      expect(Number(result[0].value[1])).toBeGreaterThan(0);
    });

    it("keeps each agent's node_id as Prometheus attached it (no exported_node_id clash)", async () => {
      expect(await query('count({exported_node_id!=""})')).toEqual([]);
      const perNode = await query('count by (node_id) (process_resident_memory_bytes)');
      // Every process exports its RSS; each agent's series carry its own node id, the control plane's none.
      const ids = perNode.map((s) => s.metric.node_id).filter(Boolean);
      expect(ids.sort()).toEqual(nodeIds);
    });
  },
);
