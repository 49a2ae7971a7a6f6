import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { stopDataDir } from '../../down.js';
import { numberFlag } from '../numeric-flags.js';
import { jsonOption, type OutputFlags, printJson } from '../output.js';

/** `infrabase down [--nodes]`: stops the control plane of a data dir and, with `--nodes`, its local nodes first. */
export function registerDown(program: Command): void {
  jsonOption(
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
      .option('--timeout <seconds>', 'how long to wait for the nodes and the process', numberFlag(0), 60),
  ).action(
    async (
      opts: OutputFlags & {
        dataDir?: string;
        config?: string;
        nodes?: boolean;
        discardData?: boolean;
        timeout: number;
      },
    ) => {
      const config = loadConfig({ file: opts.config, flags: { dataDir: opts.dataDir } });
      const result = await stopDataDir(config, {
        nodes: opts.nodes ?? false,
        discardData: opts.discardData ?? false,
        timeoutMs: opts.timeout * 1000,
        say: opts.json ? undefined : (line) => process.stdout.write(`${line}\n`),
      });
      if (opts.json) {
        printJson({
          dataDir: config.dataDir,
          stopped: result.stopped ? { pid: result.stopped.pid, url: result.stopped.url } : null,
          nodesTerminated: result.nodesTerminated,
        });
      }
    },
  );
}
