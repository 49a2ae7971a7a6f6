import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { InfrabaseError, splitStatements } from '../../../engine/index.js';
import type { ApiClient, SqlResponse } from '../../client/index.js';
import { type ConnectionFlags, connect, connectionOptions } from '../connection.js';
import { describeTable, formatDescription, formatTables, listTables } from '../describe.js';
import { renderTable } from '../format.js';
import { integerFlag } from '../numeric-flags.js';
import { jsonOption, type OutputFlags, printJson, toFailure } from '../output.js';

interface SqlFlags extends ConnectionFlags, OutputFlags {
  params?: string;
  timeoutMs?: number;
  cluster?: boolean;
}

/** The answer of `POST /v1/sql`, with the node terminations a statement started (docs/api.md). */
type SqlAnswer = SqlResponse & { markedForTermination?: number };

/** `infrabase sql [SQL]`: runs a statement against a running control plane, or opens a prompt. */
export function registerSql(program: Command): void {
  connectionOptions(
    jsonOption(
      program
        .command('sql')
        .description('run SQL against a running control plane (no SQL: an interactive prompt)')
        .argument('[sql]', 'one SQL statement')
        .option('--cluster', 'run a read-only statement on every ready data node; rows get a _node column')
        .option('--params <json>', 'statement parameters as a JSON array or object')
        .option(
          '--timeout-ms <n>',
          'time limit of the statement in milliseconds (default: sql.timeoutMs of the control plane)',
          integerFlag(1),
        ),
    ),
  ).action(async (sql: string | undefined, flags: SqlFlags) => {
    const params = flags.params === undefined ? undefined : parseParams(flags.params);
    const client = connect(flags);
    if (sql !== undefined) {
      await runOne(client, sql, flags, params);
      return;
    }
    await interactiveSql(client, flags);
  });
}

function parseParams(text: string): unknown[] | Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InfrabaseError('INVALID_ARGUMENT', `--params is not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null) {
    throw new InfrabaseError('INVALID_ARGUMENT', `--params must be a JSON array or object, got ${text}`);
  }
  return value as unknown[] | Record<string, unknown>;
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
    if (flags.json) printJson(res);
    else process.stdout.write(`${renderTable(res.columns, res.rows)}\n`);
    for (const f of res.failures as { node: string; error: string }[]) {
      process.stderr.write(`node ${f.node} failed: ${f.error}\n`);
    }
    return;
  }
  const res = (await client.sql(sql, params, flags.timeoutMs)) as SqlAnswer;
  if (flags.json) printJson(res);
  else if (res.columns.length > 0) process.stdout.write(`${renderTable(res.columns, res.rows)}\n`);
  else process.stdout.write(`${formatWrite(res)}\n`);
}

/**
 * A write's answer: `OK, n rows changed`, and for statements that set nodes' desired_state to `terminated`
 * (a DELETE on sys_nodes, through its finalizer) `n nodes marked for termination`.
 */
export function formatWrite(res: SqlAnswer): string {
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const marked = res.markedForTermination ?? 0;
  if (marked === 0) return `OK, ${plural(res.changes, 'row', 'rows')} changed`;
  const removed = res.changes > 0 ? `; ${plural(res.changes, 'row', 'rows')} deleted` : '';
  return `${plural(marked, 'node', 'nodes')} marked for termination${removed}`;
}

const HELP = `statements end with ';' (several per line are fine); meta-commands:
  \\dt        list tables and views (user, distributed, reference, sys_*)
  \\d NAME    describe a table: columns; for a distributed table its shard key, shards and replication
  \\?         this help
  \\q         quit`;

/**
 * The interactive prompt: statements end with `;`; a line may hold several, split by the SQL parser (so a `;`
 * in a string or trigger body does not split), and a statement may span lines. The statements before a syntax
 * error run; the rest of the input, once it ends with `;`, is sent as is and the control plane's error is
 * shown. `\dt`, `\d NAME`, `\?` and `\q` are meta-commands. Errors are printed and the prompt goes on.
 */
async function interactiveSql(client: ApiClient, flags: SqlFlags): Promise<void> {
  // Prompts and the banner only at a terminal: piped input (a script) gets only the answers, as with psql.
  const interactive = process.stdin.isTTY === true;
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: interactive });
  const prompt = (text: string) => {
    if (!interactive) return;
    rl.setPrompt(text);
    rl.prompt();
  };
  if (interactive && !flags.json) {
    process.stdout.write(
      `connected to ${client.baseUrl}; end statements with ';', \\? for help, \\q to quit\n`,
    );
  }
  const attempt = async (fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      const failure = toFailure(err);
      if (flags.json) process.stderr.write(`${JSON.stringify(failure?.body)}\n`);
      else process.stdout.write(`error: ${failure?.body.error.message}\n`);
    }
  };
  let buffer = '';
  prompt('infrabase> ');
  for await (const line of rl) {
    if (buffer.trim() === '' && line.trim().startsWith('\\')) {
      if (line.trim() === '\\q') break;
      await attempt(() => metaCommand(client, line.trim(), flags));
      buffer = '';
    } else {
      buffer += `${line}\n`;
      const split = splitStatements(buffer);
      for (const statement of split.statements) await attempt(() => runOne(client, statement, flags));
      buffer = split.rest.trim() === '' ? '' : split.rest;
      if (split.syntaxError && buffer.trimEnd().endsWith(';')) {
        // The parser cannot tell where the broken statement ends: send the rest as is and show SQLite's error
        // (or its answer, when the parser merely does not know a form SQLite accepts).
        const rest = buffer.trim();
        buffer = '';
        await attempt(() => runOne(client, rest, flags));
      }
    }
    prompt(buffer ? '       -> ' : 'infrabase> ');
  }
  rl.close();
}

async function metaCommand(client: ApiClient, line: string, flags: SqlFlags): Promise<void> {
  const [command, ...args] = line.split(/\s+/);
  if (command === '\\dt' && args.length === 0) {
    const tables = await listTables(client);
    if (flags.json) printJson(tables);
    else process.stdout.write(`${formatTables(tables)}\n`);
  } else if (command === '\\d' && args.length === 1) {
    const description = await describeTable(client, args[0]);
    if (flags.json) printJson(description);
    else process.stdout.write(`${formatDescription(description)}\n`);
  } else if (command === '\\?') {
    process.stdout.write(`${HELP}\n`);
  } else {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `unknown meta-command ${line}; accepted: \\dt, \\d NAME, \\?, \\q`,
    );
  }
}
