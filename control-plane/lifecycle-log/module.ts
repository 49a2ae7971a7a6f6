import type { ControlPlaneContext, ControlPlaneModule, Service } from '../service.js';
import { CATALOG_EVENTS_INTERVAL_MS, CatalogEventLog } from './catalog-events.js';

/** Polls {@link CatalogEventLog} every `intervalMs` for the control plane's lifetime. */
class CatalogEventService implements Service {
  readonly name = 'lifecycle-log';
  private timer?: NodeJS.Timeout;

  constructor(private readonly intervalMs: number) {}

  start(ctx: ControlPlaneContext): void {
    const log = new CatalogEventLog(ctx.db, ctx.logger);
    this.timer = setInterval(() => {
      try {
        log.poll();
      } catch (err) {
        ctx.logger.warn({ err }, 'lifecycle log read failed; retrying');
      }
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * The lifecycle log module: logs at info level the scaling decisions, shard moves and training rounds and
 * jobs that other writers record in the catalog (see {@link CatalogEventLog}); node launches, joins and
 * terminations are logged by the nodes module as they happen.
 */
export function createLifecycleLogModule(options: { intervalMs?: number } = {}): ControlPlaneModule {
  return {
    name: 'lifecycle-log',
    services: () => [new CatalogEventService(options.intervalMs ?? CATALOG_EVENTS_INTERVAL_MS)],
  };
}
