import { evaluateModel, type ModelSpec, type Rows, trainLocal } from '../training/index.js';
import type { EvaluateInstruction, EvaluateResult, TrainInstruction, TrainResult } from './messages.js';

/**
 * The client side of a round: what a data node does with an instruction. The node agent serves it over the
 * mesh; {@link localShardClient} runs it in-process on rows held in memory.
 */
export interface ShardClient {
  train(instruction: TrainInstruction): Promise<TrainResult>;
  evaluate?(instruction: EvaluateInstruction): Promise<EvaluateResult>;
}

export interface LocalShardOptions {
  model: ModelSpec;
  /** The shard's training rows, already standardised with the federated statistics. */
  rows: Rows;
  /** The shard's held-out rows (standardised likewise), for `evaluate`. */
  evaluationRows?: Rows;
  /** FedProx/L2 etc. beyond the round config: L2 penalty λ (default 0). */
  l2?: number;
}

/** An in-process {@link ShardClient} that trains with {@link trainLocal}; only weights and metrics leave it. */
export function localShardClient(options: LocalShardOptions): ShardClient {
  const { model, rows, evaluationRows, l2 } = options;
  return {
    async train({ shardId, weights, config }) {
      const r = trainLocal({
        model,
        weights,
        rows,
        epochs: config.epochs,
        batchSize: config.batchSize,
        learningRate: config.learningRate,
        optimizer: config.optimizer,
        mu: config.mu,
        l2,
        seed: config.seed,
      });
      return { shardId, weights: r.weights, examples: r.examples, metrics: r.metrics };
    },
    async evaluate({ shardId, weights }) {
      const target = evaluationRows ?? rows;
      return { shardId, examples: target.n, metrics: evaluateModel(model, weights, target) };
    },
  };
}
