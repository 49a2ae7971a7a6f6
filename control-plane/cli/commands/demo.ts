import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { runDemo } from '../../demo/index.js';
import { jsonOption, type OutputFlags, printJson } from '../output.js';
import { parsePort } from './up.js';

/** `infrabase demo`: the whole product on one machine, step by step. */
export function registerDemo(program: Command): void {
  jsonOption(
    program
      .command('demo')
      .description(
        'run the four jobs of infrabase on this machine: scale, load, train, PREDICT, autoscale, metrics',
      )
      .requiredOption('--adult <file>', 'UCI Adult CSV (or .csv.gz), e.g. examples/tabular/adult.csv.gz')
      .requiredOption(
        '--trace <file>',
        'NAB CPU trace, e.g. examples/timeseries/nab_cpu_utilization_asg_misconfiguration.csv',
      )
      .option('--data-dir <dir>', 'data dir (default ./infrabase-data)')
      .option('--port <n>', 'HTTP API port (default 7420; 0 picks a free one)', parsePort)
      .option('--config <file>', 'a JSON or YAML configuration file')
      .option('--short', 'fewer training rounds')
      .option('--exit', 'stop and clean up at the end instead of leaving the control plane running')
      .option('--summary <file>', 'write a JSON summary of every step'),
  ).action(
    async (
      opts: OutputFlags & {
        adult: string;
        trace: string;
        dataDir?: string;
        port?: number;
        config?: string;
        short?: boolean;
        exit?: boolean;
        summary?: string;
      },
    ) => {
      const config = loadConfig({ file: opts.config, flags: { dataDir: opts.dataDir, port: opts.port } });
      // --json: the narrative goes to stderr, the summary of every step to stdout once the demo ends.
      const summary = await runDemo({
        config,
        adult: opts.adult,
        trace: opts.trace,
        exit: opts.exit ?? false,
        short: opts.short ?? false,
        summary: opts.summary,
        out: opts.json ? process.stderr : process.stdout,
      });
      if (opts.json) printJson(summary);
    },
  );
}
