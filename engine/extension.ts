import type { Database } from 'better-sqlite3';

/** What kind of connection an extension is being registered on. */
export type ConnectionRole = 'main' | 'sql-worker' | 'watcher' | 'agent' | 'tool';

export interface ConnectionInfo {
  /** Absolute path of the database file, or `:memory:`. */
  readonly path: string;
  readonly role: ConnectionRole;
  readonly readonly: boolean;
}

/** A user statement about to be executed by {@link executeStatement}. */
export interface QueryRequest {
  readonly sql: string;
  readonly params: unknown[] | Record<string, unknown>;
}

/** Rows as arrays, in the column order of `columns`. */
export interface QueryResult {
  columns: string[];
  rows: unknown[][];
  /** Rows inserted, updated or deleted (0 for a read). */
  changes: number;
  /**
   * Nodes whose `desired_state` the statement set to `terminated` (a DELETE on `sys_nodes`, through its
   * finalizer); absent when none.
   */
  markedForTermination?: number;
  /**
   * Each column's declared type as SQLite reports it (`CREATE TABLE` text, null for an expression); present
   * only when asked for (the Postgres protocol derives type OIDs from it).
   */
  declaredTypes?: (string | null)[];
}

/**
 * Intercepts the execution of a read-only user statement; returns a result, or calls `next` to fall through.
 * The ml module uses this to evaluate PREDICT calls in batches.
 */
export type QueryInterceptor = (db: Database, request: QueryRequest, next: () => QueryResult) => QueryResult;

/**
 * How other modules plug into the engine, which knows nothing of ONNX or clouds: SQL functions registered on
 * every connection, idempotent schema (triggers, views) installed by the process that owns migrations, and
 * query interceptors.
 */
export interface EngineExtension {
  readonly name: string;
  /** Registers functions and aggregates on a new connection. Must not run statements that need the lock. */
  register?(db: Database, connection: ConnectionInfo): void;
  /**
   * Idempotent DDL (`CREATE TRIGGER IF NOT EXISTS`, `CREATE VIEW IF NOT EXISTS`, …) run after migrations
   * by the process that migrates. Triggers that call JS functions make the table unwritable from
   * connections without the extension (e.g. the `sqlite3` shell): prefer plain SQL triggers.
   */
  schema?: string;
  /** Wraps read-only user statements (outermost extension first). */
  interceptQuery?: QueryInterceptor;
  /**
   * Called before every user statement (reads and writes) with the connection idle, e.g. to refresh caches
   * that SQL functions read (they cannot run statements themselves).
   */
  beforeStatement?(db: Database, request: QueryRequest): void;
}
