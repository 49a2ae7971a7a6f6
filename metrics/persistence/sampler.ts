import type { Registry } from 'prom-client';
import { type Clock, type Database, systemClock } from '../../engine/index.js';
import { type IngestMetrics, ingestMetrics } from '../declarations/index.js';
import { BackgroundLoop } from './background-loop.js';
import { type SeriesSelector, sampleRegistry } from './sample-registry.js';
import { writeSamples } from './write-samples.js';

export interface MetricsSamplerOptions {
  db: Database;
  registry: Registry;
  /** Milliseconds between samples. Default 5000 (`metrics.sampleIntervalMs`). */
  intervalMs?: number;
  clock?: Clock;
  select?: SeriesSelector;
  /** `sys_metrics.node_id` of the rows; null (default) for the control plane's own series. */
  nodeId?: string | null;
  /** Called when a batch fails (it is dropped and counted); the sampler keeps running. */
  onError?: (err: unknown) => void;
}

/**
 * Writes the selected series of a registry to `sys_metrics` every `intervalMs`, each batch in one
 * transaction (a few hundred rows: well under a millisecond of write lock). Shaped as a control-plane
 * `Service`: `start()` returns at once, `stop()` ends the loop and resolves when the current batch is done.
 * Counts its rows and batches in the registry's `infrabase_metrics_*` ingest metrics.
 */
export class MetricsSampler {
  readonly name = 'metrics-sampler';
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private readonly ingest: IngestMetrics;
  private readonly loop = new BackgroundLoop((signal) => this.run(signal));

  constructor(private readonly options: MetricsSamplerOptions) {
    this.clock = options.clock ?? systemClock;
    this.intervalMs = options.intervalMs ?? 5000;
    this.ingest = ingestMetrics(options.registry);
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Takes one sample now and writes it; returns the rows written (0 when the batch failed). */
  async sampleOnce(): Promise<number> {
    const { db, registry, select, nodeId } = this.options;
    try {
      const samples = await sampleRegistry(registry, this.clock.now(), { select, nodeId });
      const started = performance.now();
      const n = writeSamples(db, samples);
      this.ingest.batchDuration.observe({ source: 'sampler' }, (performance.now() - started) / 1000);
      this.ingest.samples.inc({ source: 'sampler' }, n);
      return n;
    } catch (err) {
      this.ingest.errors.inc({ source: 'sampler' });
      this.options.onError?.(err);
      return 0;
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    for (;;) {
      try {
        await this.clock.sleep(this.intervalMs, signal);
      } catch {
        return; // aborted by stop()
      }
      await this.sampleOnce();
    }
  }
}
