import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { ApiClient } from '../../client/index.js';
import { type ConnectionFlags, connect, connectionOptions } from '../connection.js';
import { renderTable } from '../format.js';
import { integerFlag } from '../numeric-flags.js';

interface SqlFlags extends ConnectionFlags {
  json?: boolean;
  params?: string;
  timeoutMs?: number;
  cluster?: boolean;
}

/** `infrabase sql [SQL]`: runs a statement against a running control plane, or opens a prompt. */
export function registerSql(program: Command): void {
  connectionOptions(
    program
      .command('sql')
      .description('run SQL against a running control plane (no SQL: an interactive prompt)')
      .argument('[sql]', 'one SQL statement')
      .option('--json', 'print the answer as JSON {columns, rows, changes}')
      .option('--cluster', 'run a read-only statement on every ready data node; rows get a _node column')
      .option('--params <json>', 'statement parameters as a JSON array or object')
      .option('--timeout-ms <n>', 'time limit of the statement in milliseconds', integerFlag(1)),
  ).action(async (sql: string | undefined, flags: SqlFlags) => {
    const client = connect(flags);
    if (sql !== undefined) {
      const params = flags.params === undefined ? undefined : JSON.parse(flags.params);
      await runOne(client, sql, flags, params);
      return;
    }
    await repl(client, flags);
  });
}

async function runOne(
  client: ApiClient,
  sql: string,
  flags: SqlFlags,
  params?: unknown[] | Record<string, unknown>,
) {
  if (flags.cluster) {
    const res = await client.request<{ columns: string[]; rows: unknown[][]; failures: unknown[] }>(
      'POST',
      '/v1/sql/cluster',
      { sql, timeoutMs: flags.timeoutMs },
    );
    if (flags.json) process.stdout.write(`${JSON.stringify(res)}\n`);
    else process.stdout.write(`${renderTable(res.columns, res.rows)}\n`);
    for (const f of res.failures as { node: string; error: string }[]) {
      process.stderr.write(`node ${f.node} failed: ${f.error}\n`);
    }
    return;
  }
  const res = await client.sql(sql, params, flags.timeoutMs);
  if (flags.json) process.stdout.write(`${JSON.stringify(res)}\n`);
  else if (res.columns.length > 0) process.stdout.write(`${renderTable(res.columns, res.rows)}\n`);
  else process.stdout.write(`OK, ${res.changes} row${res.changes === 1 ? '' : 's'} changed\n`);
}

/** A line-oriented prompt: statements end with `;`, `\q` quits. Errors are printed and the prompt goes on. */
async function repl(client: ApiClient, flags: SqlFlags): Promise<void> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  process.stdout.write(`connected to ${client.baseUrl}; end statements with ';', \\q to quit\n`);
  let buffer = '';
  rl.setPrompt('infrabase> ');
  rl.prompt();
  for await (const line of rl) {
    if (buffer === '' && line.trim() === '\\q') break;
    buffer += `${line}\n`;
    if (buffer.trim().endsWith(';')) {
      try {
        await runOne(client, buffer.trim(), flags);
      } catch (err) {
        process.stdout.write(`error: ${(err as Error).message}\n`);
      }
      buffer = '';
    }
    rl.setPrompt(buffer ? '       -> ' : 'infrabase> ');
    rl.prompt();
  }
  rl.close();
}
