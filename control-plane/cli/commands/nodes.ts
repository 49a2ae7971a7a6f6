import type { Command } from 'commander';
import { NODE_PROVIDERS, NODE_ROLES, NODE_STATUSES } from '../../../engine/index.js';
import { type ConnectionFlags, connect, connectionOptions } from '../connection.js';
import { enumOption } from '../enum-flags.js';
import { formatAge, renderTable } from '../format.js';
import { jsonOption, type OutputFlags, printResult } from '../output.js';

interface NodesFlags extends ConnectionFlags, OutputFlags {
  role?: string;
  status?: string;
  provider?: string;
}

/** The `sys_nodes` columns `infrabase nodes` reads, in their JSON order. */
const NODE_COLUMNS = [
  'id',
  'provider',
  'role',
  'status',
  'desired_state',
  'endpoint',
  'zone',
  'instance_type',
  'status_reason',
  'created_at',
  'last_heartbeat_at',
] as const;

/** Statuses that already say the node is going away. */
const TERMINATING = ['terminating', 'terminated'];

/**
 * `infrabase nodes [--role R] [--status S] [--provider P]`: the machines of `sys_nodes`, one line each with
 * kubectl's columns (ID STATUS ROLE PROVIDER ENDPOINT AGE REASON); `--json`: an array of row objects with the
 * catalog's column names.
 */
export function registerNodes(program: Command): void {
  connectionOptions(
    jsonOption(
      program
        .command('nodes')
        .description('list the machines (sys_nodes rows), newest last')
        .addOption(enumOption('--role <role>', 'only nodes of this role', NODE_ROLES))
        .addOption(enumOption('--status <status>', 'only nodes in this status', NODE_STATUSES))
        .addOption(enumOption('--provider <name>', 'only nodes of this provider', NODE_PROVIDERS)),
    ),
  ).action(async (flags: NodesFlags) => {
    const client = connect(flags);
    const where: string[] = [];
    const params: unknown[] = [];
    for (const [column, value] of [
      ['role', flags.role],
      ['status', flags.status],
      ['provider', flags.provider],
    ] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    const res = await client.sql(
      `SELECT ${NODE_COLUMNS.join(', ')}, CAST(strftime('%s', 'now') AS INTEGER) * 1000 AS now_ms FROM sys_nodes
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id`,
      params,
    );
    const nodes = res.rows.map((row) => Object.fromEntries(NODE_COLUMNS.map((c, i) => [c, row[i]])));
    printResult(
      flags,
      () => nodes,
      () => {
        if (nodes.length === 0) return 'No nodes.';
        const now = res.rows[0][NODE_COLUMNS.length] as number;
        return renderTable(
          ['ID', 'STATUS', 'ROLE', 'PROVIDER', 'ENDPOINT', 'AGE', 'REASON'],
          nodes.map((n) => [
            n.id,
            n.desired_state === 'terminated' && !TERMINATING.includes(n.status as string)
              ? `${n.status},terminating`
              : n.status,
            n.role,
            n.provider,
            n.endpoint ?? '<none>',
            formatAge(now - (n.created_at as number)),
            n.status_reason ?? '',
          ]),
          { style: 'plain' },
        );
      },
    );
  });
}
