import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';
import { canonicalLabels } from './labels.js';
import type { MetricSample } from './write-samples.js';

/** Decides which metric families of a registry are persisted. */
export type SeriesSelector = (family: { name: string; type: string }) => boolean;

/**
 * The default selection: every `infrabase_*` family plus `process_cpu_seconds_total`,
 * `process_resident_memory_bytes` and `nodejs_eventloop_lag_seconds`. Histograms are persisted as their
 * `_sum` and `_count` series only (buckets would multiply the rows by the bucket count).
 */
export const defaultSeriesSelector: SeriesSelector = ({ name }) =>
  name.startsWith('infrabase_') ||
  name === 'process_cpu_seconds_total' ||
  name === 'process_resident_memory_bytes' ||
  name === 'nodejs_eventloop_lag_seconds';

/**
 * Reads the selected series of `registry` (running their collectors) as `sys_metrics` rows stamped `ts`.
 * Histogram and summary buckets/quantiles are skipped; their `_sum` and `_count` are kept. Non-finite values
 * (NaN of an empty summary) are skipped.
 */
export async function sampleRegistry(
  registry: Registry,
  ts: number,
  options: { select?: SeriesSelector; nodeId?: string | null } = {},
): Promise<MetricSample[]> {
  const select = options.select ?? defaultSeriesSelector;
  const families = (await registry.getMetricsAsJSON()) as MetricObjectWithValues<MetricValue<string>>[];
  const samples: MetricSample[] = [];
  for (const family of families) {
    const type = String(family.type);
    if (!select({ name: family.name, type })) continue;
    const multi = type === 'histogram' || type === 'summary';
    for (const v of family.values) {
      const name = (v as { metricName?: string }).metricName ?? family.name;
      if (multi && name !== `${family.name}_sum` && name !== `${family.name}_count`) continue;
      if (!Number.isFinite(v.value)) continue;
      samples.push({
        ts,
        nodeId: options.nodeId ?? null,
        name,
        labels: canonicalLabels(v.labels as Record<string, string | number>),
        value: v.value,
      });
    }
  }
  return samples;
}
