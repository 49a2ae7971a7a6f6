import type { Command } from 'commander';
import { VERSION } from '../../../engine/index.js';
import type { ApiClient } from '../../client/index.js';
import { type ConnectionFlags, connect, connectionOptions } from '../connection.js';
import { formatAge, renderTable } from '../format.js';
import { jsonOption, type OutputFlags, printResult } from '../output.js';

/** What `infrabase status` reports; also its `--json` answer. */
export interface ClusterStatus {
  url: string;
  /** The control plane's build version (`GET /healthz`) and this CLI's. */
  version: string;
  cliVersion: string;
  uptimeMs: number;
  /** `sys_nodes` counted by role, status and desired state. */
  nodes: { role: string; status: string; desired_state: string; count: number }[];
  /** Each distributed or reference table with the health of its shards (`sys_shard_status`). */
  tables: {
    name: string;
    kind: string;
    shard_key: string | null;
    shard_count: number;
    replication_factor: number | null;
    available: number;
    under_replicated: number;
    unavailable: number;
    moving: number;
  }[];
  /** Training jobs pending or running, with the rounds completed so far. */
  jobs: { id: number; model_name: string; status: string; strategy: string; rounds: number; done: number }[];
}

/** `infrabase status`: the control plane, its nodes, distributed tables and running training jobs at a glance. */
export function registerStatus(program: Command): void {
  connectionOptions(
    jsonOption(
      program
        .command('status')
        .description(
          'the control plane (URL, version), nodes by status and role, distributed tables and their shard health, running training jobs',
        ),
    ),
  ).action(async (flags: ConnectionFlags & OutputFlags) => {
    const status = await readStatus(connect(flags));
    printResult(
      flags,
      () => status,
      () => formatStatus(status),
    );
  });
}

/** Reads the cluster's status: `GET /healthz` and three read-only statements (the read-only token suffices). */
export async function readStatus(client: ApiClient): Promise<ClusterStatus> {
  const objects = <T>(r: { columns: string[]; rows: unknown[][] }) =>
    r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]])) as T);
  const [health, nodes, tables, jobs] = await Promise.all([
    client.request<{ uptimeMs: number; version?: string }>('GET', '/healthz'),
    client.sql(
      `SELECT role, status, desired_state, count(*) AS count FROM sys_nodes
        GROUP BY role, status, desired_state ORDER BY role, status, desired_state`,
    ),
    client.sql(
      `SELECT t.name, t.kind, t.shard_key, t.shard_count, t.replication_factor,
              coalesce(sum(s.status = 'available'), 0) AS available,
              coalesce(sum(s.status = 'under_replicated'), 0) AS under_replicated,
              coalesce(sum(s.status = 'unavailable'), 0) AS unavailable,
              (SELECT count(*) FROM sys_shard_moves m WHERE m.colocation_group = t.colocation_group
                  AND m.state NOT IN ('done', 'failed')) AS moving
         FROM sys_distributed_tables t LEFT JOIN sys_shard_status s ON s.colocation_group = t.colocation_group
        GROUP BY t.name ORDER BY t.name`,
    ),
    client.sql(
      `SELECT j.id, j.model_name, j.status, j.strategy, j.rounds,
              (SELECT count(*) FROM sys_training_rounds r WHERE r.job_id = j.id) AS done
         FROM sys_training_jobs j WHERE j.status IN ('pending', 'running') ORDER BY j.id`,
    ),
  ]);
  return {
    url: client.baseUrl,
    version: health.version ?? 'unknown',
    cliVersion: VERSION,
    uptimeMs: health.uptimeMs,
    nodes: objects(nodes),
    tables: objects(tables),
    jobs: objects(jobs),
  };
}

/** The status as text: a line for the control plane, then one section per part. */
export function formatStatus(s: ClusterStatus): string {
  const lines = [
    `Control plane: ${s.url} (version ${s.version}${s.version === s.cliVersion ? '' : `; this CLI ${s.cliVersion}`}, up ${formatAge(s.uptimeMs)})`,
  ];
  const total = s.nodes.reduce((a, n) => a + n.count, 0);
  lines.push('', `Nodes: ${total}`);
  if (total > 0) {
    lines.push(
      renderTable(
        ['ROLE', 'STATUS', 'DESIRED', 'COUNT'],
        s.nodes.map((n) => [n.role, n.status, n.desired_state, n.count]),
        { style: 'plain' },
      ),
    );
  }
  lines.push('', `Distributed tables: ${s.tables.length}`);
  if (s.tables.length > 0) {
    lines.push(
      renderTable(
        [
          'NAME',
          'KIND',
          'SHARD KEY',
          'SHARDS',
          'REPLICAS',
          'AVAILABLE',
          'UNDER-REPLICATED',
          'UNAVAILABLE',
          'MOVING',
        ],
        s.tables.map((t) => [
          t.name,
          t.kind,
          t.kind === 'reference' ? '-' : (t.shard_key ?? '_row'),
          t.shard_count,
          t.replication_factor ?? 'all',
          t.available,
          t.under_replicated,
          t.unavailable,
          t.moving,
        ]),
        { style: 'plain' },
      ),
    );
  }
  lines.push('', `Training jobs running: ${s.jobs.length}`);
  if (s.jobs.length > 0) {
    lines.push(
      renderTable(
        ['JOB', 'MODEL', 'STATUS', 'STRATEGY', 'ROUND'],
        s.jobs.map((j) => [j.id, j.model_name, j.status, j.strategy, `${j.done}/${j.rounds}`]),
        { style: 'plain' },
      ),
    );
  }
  return lines.join('\n');
}
