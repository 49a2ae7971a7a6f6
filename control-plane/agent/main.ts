#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { isInfrabaseError } from '../../engine/index.js';
import { runAgent } from './run-agent.js';

/**
 * Entry point of a node agent process, until the CLI's `infrabase agent` subcommand calls {@link runAgent}:
 * `node dist/control-plane/agent/main.js --node-id ID --data-dir DIR --control-plane-url URL [--host H]
 * [--port P] [--heartbeat-interval-ms MS]`, join token in `INFRABASE_JOIN_TOKEN` (not argv: argv is
 * world-readable). Exits 0 on SIGTERM/SIGINT after a clean stop, and at once (0) if a live agent of the same
 * node already runs.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'node-id': { type: 'string' },
      'data-dir': { type: 'string' },
      'control-plane-url': { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
      'heartbeat-interval-ms': { type: 'string' },
    },
  });
  const joinToken = process.env.INFRABASE_JOIN_TOKEN;
  const nodeId = values['node-id'];
  const dataDir = values['data-dir'];
  const url = values['control-plane-url'];
  if (!nodeId || !dataDir || !url || !joinToken) {
    process.stderr.write(
      'usage: main.js --node-id ID --data-dir DIR --control-plane-url URL (join token in INFRABASE_JOIN_TOKEN)\n',
    );
    process.exit(2);
  }
  delete process.env.INFRABASE_JOIN_TOKEN;
  let agent: Awaited<ReturnType<typeof runAgent>>;
  try {
    agent = await runAgent({
      controlPlaneUrl: url,
      nodeId,
      joinToken,
      dataDir,
      host: values.host,
      port: Number(values.port),
      heartbeatIntervalMs: values['heartbeat-interval-ms']
        ? Number(values['heartbeat-interval-ms'])
        : undefined,
      onError: (err) => process.stderr.write(`${new Date().toISOString()} ${(err as Error).message}\n`),
    });
  } catch (err) {
    if (isInfrabaseError(err, 'ALREADY_EXISTS')) {
      process.stderr.write(`${(err as Error).message}; exiting\n`);
      process.exit(0);
    }
    throw err;
  }
  process.stdout.write(`${new Date().toISOString()} agent ${nodeId} serving on ${agent.endpoint}\n`);
  const shutdown = () => {
    agent.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
