import type { Command } from 'commander';
import { LOG_LEVELS, loadConfig } from '../../config/index.js';
import { type ControlPlane, startControlPlane } from '../../up.js';
import { enumOption } from '../enum-flags.js';
import { integerFlag } from '../numeric-flags.js';
import { jsonOption, type OutputFlags, printJson } from '../output.js';

/** `infrabase up`: runs the control plane in the foreground until SIGINT/SIGTERM. */
export function registerUp(program: Command): void {
  jsonOption(
    program
      .command('up')
      .description('start the control plane (embedded default: local provider, SQLite file in the data dir)')
      .option(
        '--data-dir <dir>',
        'where the database, tokens and local nodes live (default ./infrabase-data)',
      )
      .option('--port <n>', 'HTTP API port (default 7420; 0 picks a free one)', parsePort)
      .option('--host <addr>', 'address to listen on (default 127.0.0.1)')
      .option('--config <file>', 'a JSON or YAML configuration file')
      .addOption(
        enumOption(
          '--log-level <level>',
          'log level (default: log.level of the configuration, info)',
          LOG_LEVELS,
        ),
      ),
  ).action(
    async (
      opts: OutputFlags & {
        dataDir?: string;
        port?: number;
        host?: string;
        config?: string;
        logLevel?: string;
      },
    ) => {
      const config = loadConfig({
        file: opts.config,
        flags: {
          dataDir: opts.dataDir,
          port: opts.port,
          host: opts.host,
          ...(opts.logLevel ? { log: { level: opts.logLevel as never } } : {}),
        },
      });
      // Before anything is printed: a SIGTERM sent as soon as the banner is read must stop cleanly, not kill.
      const stopRequested = new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      const cp = await startControlPlane(config);
      const out = process.stdout;
      if (opts.json) {
        printJson({
          url: cp.url,
          postgres: cp.postgres
            ? { host: cp.postgres.host, port: cp.postgres.port, certFile: cp.postgres.tls.certFile }
            : null,
          dataDir: config.dataDir,
          tokensFile: cp.tokens.path,
          tokensCreated: cp.tokens.created,
        });
      } else {
        out.write(`infrabase control plane listening on ${cp.url}\n`);
        if (cp.postgres) {
          const { host, port, tls } = cp.postgres;
          out.write(
            `postgres protocol on ${host}:${port} (psql "host=${host} port=${port} user=admin sslmode=require", password: the admin token; TLS certificate ${tls.certFile})\n`,
          );
        }
        out.write(`data dir: ${config.dataDir}\n`);
        for (const warning of cp.warnings) out.write(`warning: ${warning}\n`);
        out.write(
          cp.tokens.created
            ? `API tokens generated and stored in ${cp.tokens.path} (mode 0600); the CLI reads the admin token there\n`
            : `API tokens: ${cp.tokens.path}\n`,
        );
        out.write(
          `try: infrabase sql --url ${cp.url} --data-dir ${config.dataDir} "SELECT id, status FROM sys_nodes"\n`,
        );
      }
      await stopRequested;
      const agents = runningLocalAgents(cp);
      await cp.stop();
      if (agents > 0 && opts.json) printJson({ stopped: cp.url, localAgentsRunning: agents });
      else if (agents > 0) {
        const [them, s] = agents === 1 ? ['it', ''] : ['them', 's'];
        out.write(
          `control plane stopped; ${agents} local node agent${s} still running (the next \`infrabase up\` ` +
            `adopts ${them}); to stop ${them}: infrabase down --nodes --data-dir ${config.dataDir}\n`,
        );
      }
    },
  );
}

/** Local nodes meant to run: their agents outlive the control plane (a restart adopts them). */
function runningLocalAgents(cp: ControlPlane): number {
  return cp.context.db
    .prepare("SELECT count(*) FROM sys_nodes WHERE provider = 'local' AND desired_state = 'running'")
    .pluck()
    .get() as number;
}

/** `--port`: an integer 0-65535 (0 picks a free port); anything else stops the command before it starts. */
export const parsePort = integerFlag(0, 65535);
