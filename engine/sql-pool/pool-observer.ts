import type { StatementKind } from './statement-kind.js';

/** How a statement of the pool ended: answered, failed, or ended at its time limit (or cancelled). */
export type StatementOutcome = 'ok' | 'error' | 'timeout';

/**
 * What a {@link SqlPool} reports as it runs, for the metrics of the module that composes it (the engine declares
 * no metrics). Called on the pool's thread; must not throw.
 */
export interface SqlPoolObserver {
  /** One finished statement; `seconds` is its wall time from submission (queueing included). */
  statement(kind: StatementKind, outcome: StatementOutcome, seconds: number): void;
  /** A worker's usage report (`SqlWorkerPlugin.takeUsage`), as the worker plug-in produced it. */
  usage(report: unknown): void;
}
