import { type ChildProcess, fork } from 'node:child_process';
import { setPriority } from 'node:os';
import type { Logger } from 'pino';
import { compiledPath } from '../compiled-path.js';
import { InfrabaseError, isInfrabaseError } from '../errors.js';
import type { QueryResult } from '../extension.js';
import type { SqlPoolObserver } from './pool-observer.js';
import type { HandlerRef, PlacementRef, WorkerMessage, WorkerRequest } from './protocol.js';
import { guessStatementKind, type StatementKind } from './statement-kind.js';
import { type WorkerPluginRef, workerPluginArgs } from './worker-plugin.js';

/** A statement's time limits, ms: the default and the largest a request may ask for. */
export interface StatementTimeouts {
  /** Time limit of a statement that names none, ms. */
  readonly defaultTimeoutMs: number;
  /** The largest time limit a request may ask for, ms. */
  readonly maxTimeoutMs: number;
}

/**
 * The time limit of a statement, ms: `requested`, or the default when it is undefined.
 * @throws InfrabaseError `INVALID_ARGUMENT` unless `requested` is undefined or an integer from 1 to maxTimeoutMs.
 */
export function statementTimeout(requested: unknown, limits: StatementTimeouts): number {
  const timeoutMs = requested ?? limits.defaultTimeoutMs;
  if (
    typeof timeoutMs !== 'number' ||
    !Number.isInteger(timeoutMs) ||
    timeoutMs < 1 ||
    timeoutMs > limits.maxTimeoutMs
  ) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `timeoutMs ${JSON.stringify(requested)} is out of range; accepted: an integer from 1 to ${limits.maxTimeoutMs}`,
    );
  }
  return timeoutMs;
}

export interface SqlPoolOptions extends StatementTimeouts {
  dbPath: string;
  /** Number of worker processes. */
  size: number;
  /**
   * How many workers read-only requests (the read role) may occupy at once; default `size - 1` (all of them
   * when `size` is 1), so one worker is always left for the admin.
   */
  readWorkers?: number;
  logger?: Logger;
  /** Told of every finished statement and every usage report of the workers (for metrics); omit for none. */
  observer?: SqlPoolObserver;
  /**
   * The worker entry point (compiled JavaScript, same arguments and protocol as worker-main.js); default
   * worker-main.js. The agent's placement pool runs its placement worker this way (see `SqlRequest.placement`),
   * and benchmarks compare worker variants with it.
   */
  workerScript?: string;
  /**
   * The module each worker imports as it starts, with its settings: the SQL functions of its connection,
   * statement handlers, usage reports and limits ({@link SqlWorkerPlugin}). Default none: the engine's SQL only.
   */
  plugin?: WorkerPluginRef;
}

export interface SqlRequest {
  sql: string;
  params?: unknown[] | Record<string, unknown>;
  readOnly?: boolean;
  /** Time limit for this statement, milliseconds, counted from submission (queueing included). */
  timeoutMs?: number;
  /** `describe` prepares the statement and answers its columns without running it; default `execute`. */
  mode?: 'execute' | 'describe';
  /** Answer each result column's declared type too (`QueryResult.declaredTypes`). */
  declaredTypes?: boolean;
  /** Aborting ends the statement as its time limit does: the worker running it is killed. */
  signal?: AbortSignal;
  /**
   * Run `sql` with this handler of the worker plug-in (e.g. a Postgres catalog query, translated, on the
   * worker's in-memory pg_catalog database) instead of on the worker's connection; it counts as a read.
   */
  handler?: HandlerRef;
  /**
   * Run `sql` on this placement file instead (pools started with a placement worker as `workerScript`, such as
   * the node agent's); the statement must read.
   */
  placement?: PlacementRef;
}

interface Job {
  readonly request: WorkerRequest;
  readonly timeoutMs: number;
  readonly resolve: (r: QueryResult) => void;
  readonly reject: (e: Error) => void;
  /** `performance.now()` at submission, ms. */
  readonly submittedAt: number;
  timer?: NodeJS.Timeout;
  /** Removes the abort listener of the request's signal. */
  detach?: () => void;
  worker?: Worker;
  settled: boolean;
}

interface Worker {
  readonly child: ChildProcess;
  ready: Promise<void>;
  job?: Job;
  /** Reported a drifted connection: killed, takes no further job. */
  retiring?: boolean;
}

/** Scheduling niceness of SQL workers (0 is normal, 19 the lowest priority). */
export const WORKER_NICENESS = 5;

const WORKER_SCRIPT = compiledPath(import.meta.url, './worker-main.js');

/**
 * Runs user SQL in a pool of worker processes, each with its own connection to the same WAL database, so a
 * runaway statement cannot freeze the control plane: past its time limit the worker running it is killed
 * (SIGKILL), the caller gets `TIMEOUT`, and a fresh worker takes its place. Workers end themselves when this
 * process is gone. Read-only requests occupy at most `readWorkers` workers, so runaway reads cannot hold up
 * the admin; a worker whose connection drifted from its configured state is replaced. What the workers add to
 * the engine's SQL (PREDICT, the Postgres catalog, limits) comes from the module above that composes the
 * program, as a worker plug-in (`plugin`); what they report goes to its `observer`.
 */
export class SqlPool {
  private readonly workers: Worker[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private readonly readWorkers: number;

  constructor(private readonly options: SqlPoolOptions) {
    this.readWorkers = Math.max(1, Math.min(options.readWorkers ?? options.size - 1, options.size));
  }

  /**
   * Starts the workers and waits until each has opened the database. Optional: `execute` starts them on first
   * use (without waiting), for a process that may never run user SQL.
   */
  async start(): Promise<void> {
    this.spawnAll();
    await Promise.all(this.workers.map((w) => w.ready));
  }

  private spawnAll(): void {
    if (this.workers.length > 0) return;
    for (let i = 0; i < this.options.size; i++) this.workers.push(this.spawn());
  }

  /**
   * Runs one statement.
   * @throws InfrabaseError `INVALID_ARGUMENT` for a time limit outside 1..maxTimeoutMs, `TIMEOUT` past the
   *   limit, `UNAVAILABLE` once closed, or the statement's own error (`SQL_ERROR`, `PERMISSION_DENIED`, …).
   */
  execute(req: SqlRequest): Promise<QueryResult> {
    if (this.closed) return Promise.reject(new InfrabaseError('UNAVAILABLE', 'the SQL pool is closed'));
    let timeoutMs: number;
    try {
      timeoutMs = statementTimeout(req.timeoutMs, this.options);
    } catch (err) {
      return Promise.reject(err);
    }
    this.spawnAll();
    return new Promise<QueryResult>((resolve, reject) => {
      const job: Job = {
        request: {
          id: this.nextId++,
          sql: req.sql,
          params: req.params ?? [],
          readOnly: req.readOnly ?? false,
          ...(req.mode ? { mode: req.mode } : {}),
          ...(req.declaredTypes ? { declaredTypes: true } : {}),
          ...(req.handler ? { handler: req.handler } : {}),
          ...(req.placement ? { placement: req.placement } : {}),
        },
        timeoutMs,
        resolve,
        reject,
        submittedAt: performance.now(),
        settled: false,
      };
      job.timer = setTimeout(() => this.onTimeout(job), timeoutMs);
      if (req.signal) {
        const signal = req.signal;
        const onAbort = () => this.onTimeout(job, "was cancelled at the client's request");
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        job.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.queue.push(job);
      this.dispatch();
    });
  }

  /** Ends every worker; queued and running statements fail with `UNAVAILABLE`. */
  async close(): Promise<void> {
    this.closed = true;
    const gone = new InfrabaseError('UNAVAILABLE', 'the SQL pool is shutting down');
    for (const job of this.queue.splice(0)) this.settle(job, gone);
    await Promise.all(
      this.workers.splice(0).map((w) => {
        if (w.job) this.settle(w.job, gone);
        return killAndWait(w.child);
      }),
    );
  }

  private spawn(): Worker {
    const script = this.options.workerScript ?? WORKER_SCRIPT;
    const child = fork(
      script,
      [this.options.dbPath, String(process.pid), ...workerPluginArgs(this.options.plugin)],
      {
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    // User SQL yields the CPU to the control plane's own loops (API, reconciler, heartbeats) when both want it.
    if (child.pid !== undefined) {
      try {
        setPriority(child.pid, WORKER_NICENESS);
      } catch {
        // Lowering a priority is always permitted on Linux; elsewhere the workers simply keep the default.
      }
    }
    const worker: Worker = { child, ready: Promise.resolve() };
    worker.ready = new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') return resolve();
        this.onMessage(worker, m);
      });
      child.once('exit', (code, signal) => {
        reject(
          new InfrabaseError('INTERNAL', `SQL worker exited before it was ready (code ${code}, ${signal})`),
        );
        this.onExit(worker, code, signal);
      });
    });
    worker.ready.then(
      () => this.dispatch(),
      () => {},
    );
    return worker;
  }

  private dispatch(): void {
    for (const worker of this.workers) {
      if (this.queue.length === 0) return;
      if (worker.job || worker.retiring || !worker.child.connected) continue;
      const readsFull = this.workers.filter((w) => w.job?.request.readOnly).length >= this.readWorkers;
      const index = readsFull ? this.queue.findIndex((j) => !j.request.readOnly) : 0;
      if (index < 0) return;
      const [job] = this.queue.splice(index, 1);
      worker.job = job;
      job.worker = worker;
      // A worker that dies before it is ready settles its job in onExit.
      worker.ready.then(
        () => {
          if (!job.settled && worker.child.connected) worker.child.send(job.request);
        },
        () => {},
      );
    }
  }

  private onMessage(worker: Worker, m: Exclude<WorkerMessage, { type: 'ready' }>): void {
    const job = worker.job;
    if (!job || job.request.id !== m.id) return;
    worker.job = undefined;
    if (m.recycle) {
      worker.retiring = true;
      this.options.logger?.warn(
        { pid: worker.child.pid, drift: m.recycle },
        'replacing SQL worker: a statement changed its connection',
      );
      worker.child.kill('SIGKILL');
    }
    if (m.usage !== undefined) this.options.observer?.usage(m.usage);
    if (m.type === 'result') this.settle(job, undefined, m.result, m.kind);
    else {
      const details = m.sqlite ? { sqlite: m.sqlite } : undefined;
      this.settle(job, new InfrabaseError(m.code, m.message, { details }), undefined, m.kind);
    }
    this.dispatch();
  }

  /**
   * Ends a job past its time limit, or cancelled (`why` given): `TIMEOUT` to the caller, and the worker running
   * it, if any, is killed.
   */
  private onTimeout(job: Job, why?: string): void {
    if (job.settled) return;
    const queued = this.queue.indexOf(job);
    if (queued >= 0) this.queue.splice(queued, 1);
    const message = why
      ? `statement ${why}`
      : `statement exceeded its time limit of ${job.timeoutMs} ms and was cancelled`;
    this.settle(job, new InfrabaseError('TIMEOUT', message, { retryable: false }));
    const worker = job.worker;
    if (worker && worker.job === job) {
      this.options.logger?.warn(
        { pid: worker.child.pid, timeoutMs: job.timeoutMs },
        why ? 'killing SQL worker of a cancelled statement' : 'killing SQL worker past its time limit',
      );
      worker.child.kill('SIGKILL');
    }
  }

  private onExit(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    const index = this.workers.indexOf(worker);
    if (index < 0) return;
    if (worker.job) {
      this.settle(
        worker.job,
        new InfrabaseError('INTERNAL', `SQL worker exited (code ${code}, signal ${signal})`),
      );
    }
    if (this.closed) return;
    this.workers[index] = this.spawn();
    this.dispatch();
  }

  /**
   * Settles a job once and counts it. `kind` is the worker's report; statements that got none (timed out,
   * worker lost, pool closed) are classified from their text.
   */
  private settle(job: Job, error?: Error, result?: QueryResult, kind?: StatementKind): void {
    if (job.settled) return;
    job.settled = true;
    clearTimeout(job.timer);
    job.detach?.();
    const observer = this.options.observer;
    if (observer) {
      const outcome = !error ? 'ok' : isInfrabaseError(error, 'TIMEOUT') ? 'timeout' : 'error';
      const seconds = (performance.now() - job.submittedAt) / 1000;
      observer.statement(kind ?? guessStatementKind(job.request.sql), outcome, seconds);
    }
    if (error) job.reject(error);
    else job.resolve(result!);
  }
}

function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
