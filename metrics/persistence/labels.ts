import { InfrabaseError } from '../../engine/index.js';

/** Label values of one series. */
export type Labels = Readonly<Record<string, string | number>>;

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Prometheus metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
export const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * The canonical JSON of a label set, as stored in `sys_metrics.labels`: keys sorted by code point, values
 * as strings, no whitespace — so equal label sets are equal strings and can be grouped and compared in SQL.
 *
 * @example canonicalLabels({ b: '2', a: 1 }) // '{"a":"1","b":"2"}'
 * @throws InfrabaseError `INVALID_ARGUMENT` for a key that is not a label name ([a-zA-Z_][a-zA-Z0-9_]*).
 */
export function canonicalLabels(labels: Labels | undefined): string {
  if (!labels) return '{}';
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '{}';
  const sorted: Record<string, string> = {};
  for (const key of keys) {
    if (!LABEL_NAME.test(key)) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `label name ${JSON.stringify(key)} is not valid; accepted: [a-zA-Z_][a-zA-Z0-9_]*`,
      );
    }
    sorted[key] = String(labels[key]);
  }
  return JSON.stringify(sorted);
}
