import { join } from 'node:path';
import { isAgentAlive, readAgentLock } from '../../autoinfra/providers/local/index.js';
import { InfrabaseError } from '../../engine/index.js';
import { type TrainingTransport, weightsFromWire, weightsToWire } from '../../ml/index.js';

/**
 * Faults a test gives data nodes, as `"<node>:<fault>,…"` where `<node>` is a node id or `*`, and `<fault>` is
 * `nan` (the node's train replies carry NaN weights), `x100` (its trained weights ×100), `crash@R` (its agent
 * process is SIGKILLed when round R's train request goes to it; counted per node from 1) or `delay@MS` (its
 * train replies arrive MS ms late, within the call's time limit).
 */
export type TrainingFault =
  | { kind: 'nan' }
  | { kind: 'x100' }
  | { kind: 'crash'; round: number }
  | { kind: 'delay'; ms: number };

/**
 * The faults `value` assigns to `nodeId` (entries for `*` apply to every node).
 * @throws InfrabaseError('INVALID_ARGUMENT') naming an entry that does not parse.
 */
export function parseTrainingFaults(value: string | undefined, nodeId: string): TrainingFault[] {
  if (!value) return [];
  const out: TrainingFault[] = [];
  for (const entry of value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const at = entry.lastIndexOf(':');
    const node = entry.slice(0, at);
    const fault = entry.slice(at + 1);
    const m = /^(nan|x100|crash@(\d+)|delay@(\d+))$/.exec(fault);
    if (at <= 0 || !m) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `training fault '${entry}' is not <node>:<fault>; faults: nan, x100, crash@R, delay@MS`,
      );
    }
    if (node !== '*' && node !== nodeId) continue;
    if (m[1] === 'nan' || m[1] === 'x100') out.push({ kind: m[1] });
    else if (m[2]) out.push({ kind: 'crash', round: Number(m[2]) });
    else out.push({ kind: 'delay', ms: Number(m[3]) });
  }
  return out;
}

/** SIGKILLs the local agent of `nodeId` in the cluster at `dataDir` (its pid from the agent lock). */
function killAgent(dataDir: string, nodeId: string): void {
  const lock = readAgentLock(join(dataDir, 'nodes', nodeId));
  if (lock && isAgentAlive(lock.pid, nodeId)) process.kill(lock.pid, 'SIGKILL');
}

/**
 * Wraps the coordinator's transport so the data nodes misbehave as `faults` says (see {@link TrainingFault}),
 * with real local agents of the cluster in `dataDir()`: a crash kills the agent process, so the train request
 * then meets a dead node as in production.
 */
export function withTrainingFaults(
  faults: string,
  dataDir: () => string,
): (inner: TrainingTransport) => TrainingTransport {
  parseTrainingFaults(faults, ''); // refuse a bad spec at once
  return (inner) => {
    const trainCalls = new Map<string, number>();
    return {
      ...inner,
      async train(nodeId, request, timeoutMs, signal) {
        const mine = parseTrainingFaults(faults, nodeId);
        const n = (trainCalls.get(nodeId) ?? 0) + 1;
        trainCalls.set(nodeId, n);
        if (mine.some((f) => f.kind === 'crash' && f.round === n)) killAgent(dataDir(), nodeId);
        const started = Date.now();
        const reply = await inner.train(nodeId, request, timeoutMs, signal);
        for (const f of mine) {
          if (f.kind !== 'delay') continue;
          const left = timeoutMs - (Date.now() - started);
          await new Promise((r) => setTimeout(r, Math.max(0, Math.min(f.ms, left))));
          if (f.ms >= left) {
            throw new InfrabaseError(
              'TIMEOUT',
              `node ${nodeId} did not answer /v1/training/train within ${timeoutMs} ms`,
            );
          }
        }
        let weights = weightsFromWire(reply.weights);
        if (mine.some((f) => f.kind === 'nan')) weights = weights.map(() => Number.NaN);
        if (mine.some((f) => f.kind === 'x100')) weights = weights.map((v) => v * 100);
        return { ...reply, weights: weightsToWire(weights) };
      },
    };
  };
}
