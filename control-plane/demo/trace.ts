import { readFileSync } from 'node:fs';
import { InfrabaseError } from '../../engine/index.js';

/** One sample of a NAB trace: `ts` in milliseconds since the epoch (UTC), `value` as in the file. */
export interface TraceSample {
  ts: number;
  value: number;
}

/**
 * Reads a NAB time series (`timestamp,value`, 5-minute steps, timestamps in UTC).
 * @throws InfrabaseError `INVALID_ARGUMENT` when the file cannot be read or a line is not `timestamp,value`.
 */
export function readTrace(path: string): TraceSample[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InfrabaseError('INVALID_ARGUMENT', `cannot read trace ${path}: ${(err as Error).message}`);
  }
  const [header, ...lines] = text.trim().split('\n');
  if (header.trim() !== 'timestamp,value') {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `${path} must start with the header "timestamp,value" (NAB format)`,
    );
  }
  return lines.map((line, i) => {
    const [stamp, raw] = line.split(',');
    const ts = Date.parse(`${stamp?.trim().replace(' ', 'T')}Z`);
    const value = Number(raw);
    if (!Number.isFinite(ts) || !Number.isFinite(value)) {
      throw new InfrabaseError('INVALID_ARGUMENT', `${path} line ${i + 2} is not "timestamp,value": ${line}`);
    }
    return { ts, value };
  });
}

/**
 * Re-times a window of a trace so it ends now, keeping its 5-minute spacing: the replay runs at accelerated
 * wall time but in sample time the policies see the original shape. Recent timestamps keep the samples
 * inside the raw-retention period.
 */
export function retime(samples: readonly TraceSample[], nowMs: number): TraceSample[] {
  if (samples.length === 0) return [];
  const shift = nowMs - samples[samples.length - 1].ts;
  return samples.map((s) => ({ ts: s.ts + shift, value: s.value }));
}
