import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { InfrabaseError } from '../../engine/index.js';
import { readTokens, TOKENS_FILE } from '../auth/index.js';
import { ApiClient } from '../client/index.js';
import { loadConfig } from '../config/index.js';
import { liveDataDirHolder } from '../data-dir-lock.js';

export interface ConnectionFlags {
  url?: string;
  token?: string;
  dataDir?: string;
  config?: string;
}

/**
 * The API client a CLI command talks through. URL: `--url`, `INFRABASE_URL`, else the URL of the control plane
 * running on the data dir (from its lock, so a non-default `--port` is found), else the configured host and
 * port. Token: `--token`, `INFRABASE_TOKEN`, else the admin token in the data dir's tokens file.
 * @throws InfrabaseError `UNAUTHENTICATED` when no token can be found.
 */
export function connect(flags: ConnectionFlags): ApiClient {
  const config = loadConfig({ file: flags.config, flags: flags.dataDir ? { dataDir: flags.dataDir } : {} });
  const url =
    flags.url ??
    process.env.INFRABASE_URL ??
    liveDataDirHolder(config.dataDir)?.url ??
    `http://${config.host}:${config.port}`;
  let token = flags.token ?? process.env.INFRABASE_TOKEN;
  if (!token) {
    const path = join(config.dataDir, TOKENS_FILE);
    if (!existsSync(path)) {
      throw new InfrabaseError(
        'UNAUTHENTICATED',
        `no API token: pass --token, set INFRABASE_TOKEN, or run from where ${path} exists (--data-dir)`,
      );
    }
    token = readTokens(path).admin;
  }
  return new ApiClient(url, token);
}

/** Adds the options {@link connect} reads (`--url`, `--token`, `--data-dir`, `--config`) to a client command. */
export function connectionOptions(command: Command): Command {
  return command
    .option(
      '--url <url>',
      'control plane URL (default INFRABASE_URL, else the one running on the data dir, else the configured port)',
    )
    .option('--token <token>', 'API token (default INFRABASE_TOKEN, else the admin token in the data dir)')
    .option('--data-dir <dir>', 'data dir holding tokens.json (default ./infrabase-data)')
    .option('--config <file>', 'a JSON or YAML configuration file');
}
