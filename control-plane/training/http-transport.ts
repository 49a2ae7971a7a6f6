import { type Database, InfrabaseError } from '../../engine/index.js';
import type { TrainingTransport } from '../../ml/index.js';
import { type AgentClient, type DataNode, readyDataNodes } from './agent-client.js';

/**
 * The training coordinator's transport over HTTP: each call POSTs to the node agent's training endpoint
 * (`/v1/training/{moments,train,evaluate}`) with the node's control credential ({@link AgentClient}). Nodes
 * are the ready data nodes of `sys_nodes`, looked up again when a call names one not seen in the last list.
 */
export function agentTrainingTransport(db: Database, agents: AgentClient): TrainingTransport {
  let known = new Map<string, DataNode>();
  const ready = () => {
    const nodes = readyDataNodes(db);
    known = new Map(nodes.map((n) => [n.id, n]));
    return nodes;
  };
  const node = (id: string): DataNode => {
    const found = known.get(id) ?? ready().find((n) => n.id === id);
    if (!found) throw new InfrabaseError('UNAVAILABLE', `node ${id} is not a ready data node`);
    return found;
  };
  return {
    readyNodes: () => ready().map((n) => n.id),
    moments: async (id, query, timeoutMs, signal) =>
      agents.post(node(id), '/v1/training/moments', query, timeoutMs, signal),
    train: async (id, request, timeoutMs, signal) =>
      agents.post(node(id), '/v1/training/train', request, timeoutMs, signal),
    evaluate: async (id, request, timeoutMs, signal) =>
      agents.post(node(id), '/v1/training/evaluate', request, timeoutMs, signal),
  };
}
