import type { Command } from 'commander';
import { runAgentProcess } from '../../../agent/index.js';
import { integerFlag } from '../numeric-flags.js';
import { jsonOption } from '../output.js';
import { parsePort } from './up.js';

/** `infrabase agent`: the node agent (started by a provider on each machine). */
export function registerAgent(program: Command): void {
  jsonOption(
    program
      .command('agent')
      .description(
        'run the node agent: join the control plane, heartbeat, serve the shard (join token in INFRABASE_JOIN_TOKEN or --config)',
      )
      .option(
        '--config <file>',
        'agent config (YAML, as the cloud bootstrap writes /etc/infrabase/agent.yaml: dataDir; agent.nodeId, agent.controlPlaneUrl, agent.joinToken)',
      )
      .option('--node-id <id>', "this node's sys_nodes.id")
      .option('--control-plane-url <url>', 'e.g. http://10.0.0.5:7420')
      .option('--data-dir <dir>', "the node's data dir (shard database, keys)")
      .option('--host <addr>', 'address to serve on (default 127.0.0.1)')
      .option('--port <n>', 'port to serve on (default: a free one)', parsePort)
      .option(
        '--heartbeat-interval-ms <n>',
        'heartbeat period until the control plane says otherwise',
        integerFlag(1),
      ),
  ).action((opts) => runAgentProcess(opts));
}
