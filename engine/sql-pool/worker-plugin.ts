import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Database } from '../database.js';
import { InfrabaseError } from '../errors.js';
import type { EngineExtension, QueryResult } from '../extension.js';

/** A statement a plug-in's handler runs (`SqlRequest.handler`): the request's SQL, parameters and mode. */
export interface HandledStatement {
  readonly sql: string;
  readonly params: unknown[] | Record<string, unknown>;
  readonly mode: 'execute' | 'describe';
}

/**
 * Runs a statement in place of the worker's connection (e.g. the Postgres catalog emulation), under the pool's
 * time limit; `context` is the request's (`SqlRequest.handler.context`). A handler only reads: its statements
 * count as `read` in the SQL metrics.
 * @throws InfrabaseError, or an error `fromSqliteError` maps, for the caller.
 */
export type StatementHandler = (db: Database, statement: HandledStatement, context: unknown) => QueryResult;

/**
 * What a module above the engine adds to the SQL worker processes of a {@link SqlPool}: the default export of the
 * module a pool's {@link WorkerPluginRef} names, imported by each worker as it starts. It must keep no state
 * beyond the worker's own (it is loaded in every worker).
 */
export interface SqlWorkerPlugin {
  /**
   * Applies the pool's settings (`WorkerPluginRef.settings`) in this worker process, before its connection
   * opens: limits, switches.
   * @throws InfrabaseError `INVALID_ARGUMENT` for settings it does not accept; the worker then exits.
   */
  configure?(settings: unknown): void;
  /** The engine extensions of the worker's connection (SQL functions, schema, statement hooks). */
  extensions?(): EngineExtension[];
  /** Statement handlers by name, for requests that name one (`SqlRequest.handler`). */
  readonly handlers?: Readonly<Record<string, StatementHandler>>;
  /**
   * What the connection used since the previous call (e.g. PREDICT calls by model), as a structured-cloneable
   * value, or undefined for nothing. Sent with every answer and handed to the pool's observer
   * (`SqlPoolObserver.usage`); the engine never reads it.
   */
  takeUsage?(db: Database): unknown;
}

/** Which plug-in a pool's workers load, and its settings. */
export interface WorkerPluginRef {
  /** The plug-in module: an absolute path of compiled JavaScript, or a `file:` URL. */
  readonly module: string;
  /** Handed to the plug-in's `configure` in each worker: a structured-cloneable (JSON) value. */
  readonly settings?: unknown;
}

/** The worker's argv entry carrying `plugin` (JSON), or none: the worker then runs without a plug-in. */
export function workerPluginArgs(plugin: WorkerPluginRef | undefined): string[] {
  return plugin ? [JSON.stringify(plugin)] : [];
}

/**
 * Imports and configures, in this worker process, the plug-in its pool passed ({@link workerPluginArgs});
 * an empty plug-in when none was passed. Call before the worker opens its connection.
 * @throws InfrabaseError `INVALID_ARGUMENT` when the argument is not such JSON, its module does not load or
 *   has no default export that is an object, or `configure` refuses the settings.
 */
export async function loadWorkerPlugin(arg: string | undefined): Promise<SqlWorkerPlugin> {
  if (arg === undefined) return {};
  let ref: WorkerPluginRef;
  try {
    ref = JSON.parse(arg) as WorkerPluginRef;
  } catch {
    throw new InfrabaseError('INVALID_ARGUMENT', `SQL worker plug-in ${arg} is not JSON`);
  }
  if (typeof ref?.module !== 'string' || !(isAbsolute(ref.module) || ref.module.startsWith('file:'))) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `SQL worker plug-in ${arg} names no module; accepted: {"module": an absolute path or file: URL, "settings": …}`,
    );
  }
  const url = ref.module.startsWith('file:') ? ref.module : pathToFileURL(ref.module).href;
  let plugin: unknown;
  try {
    plugin = ((await import(url)) as { default?: unknown }).default;
  } catch (err) {
    throw new InfrabaseError('INVALID_ARGUMENT', `SQL worker plug-in ${ref.module} does not load: ${err}`, {
      cause: err,
    });
  }
  if (typeof plugin !== 'object' || plugin === null) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `SQL worker plug-in ${ref.module} has no default export; accepted: an SqlWorkerPlugin object`,
    );
  }
  const p = plugin as SqlWorkerPlugin;
  p.configure?.(ref.settings);
  return p;
}
