import type {
  EvaluateReply,
  EvaluateRequest,
  MomentsReply,
  ShardQuery,
  TrainReply,
  TrainRequest,
} from './wire.js';

/**
 * How the training coordinator reaches the data nodes: the agents' training endpoints, by node id. The control
 * plane passes in its HTTP adapter (each call a POST to the node's agent with its control credential); tests
 * may wrap it. Every call gives up after `timeoutMs` (`TIMEOUT`) or when `signal` aborts.
 */
export interface TrainingTransport {
  /** Ids of the data nodes that can take part now (ready, with an agent endpoint), ordered by id. */
  readyNodes(): string[];
  /** Σx, Σx², count of the node's training rows (`POST /v1/training/moments`). */
  moments(nodeId: string, query: ShardQuery, timeoutMs: number, signal: AbortSignal): Promise<MomentsReply>;
  /** One local training pass from the global weights (`POST /v1/training/train`). */
  train(nodeId: string, request: TrainRequest, timeoutMs: number, signal: AbortSignal): Promise<TrainReply>;
  /** Metrics of the global weights on the node's held-out rows (`POST /v1/training/evaluate`). */
  evaluate(
    nodeId: string,
    request: EvaluateRequest,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<EvaluateReply>;
}
