import { InfrabaseError } from '../../engine/index.js';

/**
 * TEST HOOK ONLY. The environment variable an agent reads once at start to misbehave on purpose, so the
 * fault-tolerance tests can run real agents: `INFRABASE_TEST_TRAINING_FAULTS="<node>:<fault>,…"` where
 * `<node>` is a node id or `*`, and `<fault>` is `nan` (reply with NaN weights), `x100` (reply with the
 * trained weights ×100), `crash@R` (SIGKILL itself on receiving round R's train request; rounds are counted
 * per agent from 1) or `delay@MS` (wait MS ms before answering a train request). Never set it in production.
 */
export const TRAINING_FAULTS_ENV = 'INFRABASE_TEST_TRAINING_FAULTS';

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
        `${TRAINING_FAULTS_ENV} entry '${entry}' is not <node>:<fault>; faults: nan, x100, crash@R, delay@MS`,
      );
    }
    if (node !== '*' && node !== nodeId) continue;
    if (m[1] === 'nan' || m[1] === 'x100') out.push({ kind: m[1] });
    else if (m[2]) out.push({ kind: 'crash', round: Number(m[2]) });
    else out.push({ kind: 'delay', ms: Number(m[3]) });
  }
  return out;
}
