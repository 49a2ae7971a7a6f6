import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { stopDataDir } from '../../down.js';

/** `infrabase down [--nodes]`: stops the control plane of a data dir and, with `--nodes`, its local nodes first. */
export function registerDown(program: Command): void {
  program
    .command('down')
    .description('stop the control plane of a data dir (and with --nodes its local nodes first)')
    .option('--data-dir <dir>', 'the data dir whose control plane to stop (default ./infrabase-data)')
    .option('--config <file>', 'a JSON or YAML configuration file')
    .option('--nodes', "terminate the data dir's local nodes first (DELETE FROM sys_nodes, then wait)")
    .option(
      '--discard-data',
      'with --nodes, when no other data node remains: drop the distributed tables with the nodes (their rows are lost)',
    )
    .option('--timeout <seconds>', 'how long to wait for the nodes and the process', parseSeconds, 60)
    .action(
      async (opts: {
        dataDir?: string;
        config?: string;
        nodes?: boolean;
        discardData?: boolean;
        timeout: number;
      }) => {
        const config = loadConfig({ file: opts.config, flags: { dataDir: opts.dataDir } });
        await stopDataDir(config, {
          nodes: opts.nodes ?? false,
          discardData: opts.discardData ?? false,
          timeoutMs: opts.timeout * 1000,
          say: (line) => process.stdout.write(`${line}\n`),
        });
      },
    );
}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`--timeout must be a number of seconds > 0, got '${value}'`);
  return n;
}
