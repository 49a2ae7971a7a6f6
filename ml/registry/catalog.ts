import BetterSqlite3, { type Database } from 'better-sqlite3';
import { InfrabaseError } from '../../engine/index.js';
import { forgetModelsExcept, modelKey, type PreparedModel, prepareModel } from './prepared-model.js';

interface CatalogRow {
  id: number;
  name: string;
  version: number;
  sha256: string | null;
  status: string;
  row_independent: number | null;
}

/** A parsed model reference: `'name'` (newest active version) or `'name@version'`. */
export interface ModelRef {
  readonly name: string;
  readonly version: number | null;
}

/**
 * Parses `'name'` or `'name@version'`.
 * @throws InfrabaseError `INVALID_ARGUMENT` for anything else (empty, non-text, version not a positive integer).
 */
export function parseModelRef(ref: unknown): ModelRef {
  if (typeof ref !== 'string' || ref.length === 0) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `model must be 'name' or 'name@version', got ${ref === null ? 'NULL' : JSON.stringify(ref)}`,
    );
  }
  const at = ref.lastIndexOf('@');
  if (at < 0) return { name: ref, version: null };
  const version = Number(ref.slice(at + 1));
  if (at === 0 || !Number.isInteger(version) || version < 1) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `model '${ref}' is not 'name' or 'name@version' (version a positive integer)`,
    );
  }
  return { name: ref.slice(0, at), version };
}

/**
 * The models one connection can see, for SQL functions that cannot run statements themselves ("connection is
 * busy" inside a JS function). {@link ModelCatalog.sync} runs before each user statement (outside any
 * statement); it re-reads the sys_models index only when `PRAGMA data_version` (commits by other connections)
 * or `total_changes()` (writes by this one) moved, so a model change in any process is seen by the next
 * statement. Sessions are shared per process by (name, version, sha256).
 */
export class ModelCatalog {
  private rows = new Map<string, CatalogRow[]>();
  private readonly refs = new Map<string, PreparedModel>();
  private marker = '';
  private secondary: Database | null | undefined;

  /** @param path the database file (a second read-only connection serves loads inside statements), or `:memory:`. */
  constructor(
    private readonly db: Database,
    private readonly path = ':memory:',
  ) {}

  /** Closes the second read-only connection, if one was opened. */
  close(): void {
    this.secondary?.close();
    this.secondary = null;
  }

  /** Refreshes the index if sys_models may have changed. Must not be called from inside a SQL function. */
  sync(): void {
    let marker: string;
    try {
      const dataVersion = this.db.pragma('data_version', { simple: true });
      const changes = this.db.prepare('SELECT total_changes()').pluck().get();
      marker = `${dataVersion}:${changes}`;
    } catch {
      return;
    }
    if (marker === this.marker) return;
    let rows: CatalogRow[];
    try {
      rows = this.db
        .prepare(
          'SELECT id, name, version, sha256, status, row_independent FROM sys_models WHERE version IS NOT NULL',
        )
        .all() as CatalogRow[];
    } catch {
      return; // no catalog yet (connection opened before migrations)
    }
    this.marker = marker;
    this.rows.clear();
    this.refs.clear();
    for (const r of rows) {
      const list = this.rows.get(r.name) ?? [];
      list.push(r);
      this.rows.set(r.name, list);
    }
    for (const list of this.rows.values()) list.sort((a, b) => b.version - a.version);
    forgetModelsExcept(new Set(rows.map((r) => modelKey(r.name, r.version, r.sha256))));
  }

  /**
   * Resolves a model reference to a loaded model. Outside a statement the bytes are read on this connection;
   * inside one (`inStatement`, from a SQL function) they are read through a second read-only connection to the
   * same file (committed rows only), which an in-memory database cannot have: there the model must have been
   * loaded before the statement ({@link ModelCatalog.preload}).
   * @throws InfrabaseError `NOT_FOUND` for an unknown name or version, or what {@link prepareModel} throws.
   */
  resolve(ref: string, inStatement = false): PreparedModel {
    const cached = this.refs.get(ref);
    if (cached) return cached;
    const parsed = parseModelRef(ref);
    const reader = inStatement ? this.reader() : this.db;
    if (inStatement && reader && !this.lookup(parsed)) {
      const rows = reader
        .prepare(
          'SELECT id, name, version, sha256, status, row_independent FROM sys_models WHERE name = ? AND version IS NOT NULL',
        )
        .all(parsed.name) as CatalogRow[];
      if (rows.length)
        this.rows.set(
          parsed.name,
          rows.sort((a, b) => b.version - a.version),
        );
    }
    const row = this.find(ref, parsed);
    const model = prepareModel(
      row.name,
      row.version,
      row.sha256,
      () => {
        if (!reader) {
          throw new InfrabaseError(
            'UNAVAILABLE',
            `model '${row.name}@${row.version}' was not loaded before the statement started (in-memory database); run the statement through executeStatement or call syncModels() first`,
          );
        }
        return reader.prepare('SELECT onnx FROM sys_models WHERE id = ?').pluck().get(row.id) as Buffer;
      },
      row.row_independent === null ? null : row.row_independent === 1,
    );
    this.refs.set(ref, model);
    return model;
  }

  /**
   * Loads every model of `refs` (a statement's string literals, from its parse: those that resolve to a
   * model), outside the statement, so the SQL functions find their sessions. Unknown names are ignored here;
   * the function reports them.
   */
  preload(refs: Iterable<string>): void {
    for (const ref of refs) {
      try {
        const parsed = parseModelRef(ref);
        if (this.rows.has(parsed.name)) this.resolve(ref);
      } catch {
        // not a model reference, or a model error the SQL function will report with its context
      }
    }
  }

  private reader(): Database | null {
    if (this.secondary !== undefined) return this.secondary;
    this.secondary = null;
    if (this.path && this.path !== ':memory:' && !this.path.startsWith('file::memory:')) {
      try {
        this.secondary = new BetterSqlite3(this.path, { readonly: true, fileMustExist: true });
      } catch {
        this.secondary = null;
      }
    }
    return this.secondary;
  }

  private lookup(parsed: ModelRef): CatalogRow | undefined {
    const list = this.rows.get(parsed.name) ?? [];
    return parsed.version === null
      ? list.find((r) => r.status === 'active')
      : list.find((r) => r.version === parsed.version);
  }

  private find(ref: string, parsed: ModelRef): CatalogRow {
    const list = this.rows.get(parsed.name) ?? [];
    const row = this.lookup(parsed);
    if (row) return row;
    const known = [...this.rows.values()]
      .flat()
      .filter((r) => r.status === 'active')
      .map((r) => `${r.name}@${r.version}`);
    const what =
      parsed.version === null && list.length
        ? `has no active version (versions: ${list.map((r) => `${r.version} ${r.status}`).join(', ')})`
        : parsed.version !== null && list.length
          ? `has no version ${parsed.version} (versions: ${list.map((r) => r.version).join(', ')})`
          : 'is not in sys_models';
    throw new InfrabaseError(
      'NOT_FOUND',
      `model '${ref}' ${what}; active models: ${known.length ? known.join(', ') : 'none'}`,
    );
  }
}
