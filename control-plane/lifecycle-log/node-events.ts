import type { NodeLifecycleEvent } from '../../autoinfra/index.js';
import type { Logger } from '../logger.js';

/** The log message of each node lifecycle event kind. */
const MESSAGES: Record<NodeLifecycleEvent['kind'], string> = {
  launch: 'node launch started',
  launched: 'node instance launched',
  ready: 'node ready',
  unreachable: 'node unreachable',
  replace: 'node instance replaced',
  drain: 'node drained; terminating',
  terminated: 'node terminated',
  failed: 'node failed',
};

/**
 * Logs a reconcile step's lifecycle event at info level: `event` (`node.<kind>`), `node`, `provider`, and
 * `launch`, `instance`, `attempt`, `reason` when known. Ids and reasons only: no token, key or user data.
 */
export function logNodeEvent(logger: Logger, nodeId: string, event: NodeLifecycleEvent): void {
  logger.info(
    {
      event: `node.${event.kind}`,
      node: nodeId,
      provider: event.provider,
      ...(event.launch ? { launch: event.launch } : {}),
      ...(event.instanceId ? { instance: event.instanceId } : {}),
      ...(event.attempt !== undefined ? { attempt: event.attempt } : {}),
      reason: event.message,
    },
    MESSAGES[event.kind],
  );
}
