#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { runAgentProcess } from './process.js';

/**
 * Entry point the local provider spawns: `node dist/agent/main.js --node-id ID --data-dir DIR
 * --control-plane-url URL [--host H] [--port P] [--heartbeat-interval-ms MS]`, join token in
 * `INFRABASE_JOIN_TOKEN`. The same as `infrabase agent`, without loading the rest of the CLI.
 */
const { values } = parseArgs({
  options: {
    'node-id': { type: 'string' },
    'data-dir': { type: 'string' },
    'control-plane-url': { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    'heartbeat-interval-ms': { type: 'string' },
    config: { type: 'string' },
  },
});
runAgentProcess({
  nodeId: values['node-id'],
  dataDir: values['data-dir'],
  controlPlaneUrl: values['control-plane-url'],
  host: values.host,
  port: values.port === undefined ? undefined : Number(values.port), // checked by runAgentProcess
  heartbeatIntervalMs: values['heartbeat-interval-ms'] ? Number(values['heartbeat-interval-ms']) : undefined,
  config: values.config,
}).catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
