import { InfrabaseError, isInfrabaseError, type QueryResult, type SqlRequest } from '../../engine/index.js';
import type { Scope } from '../auth/index.js';
import { type CatalogContext, type CatalogResponder, PG_CATALOG_HANDLER } from './catalog/index.js';
import { commandTag } from './command-tag.js';
import { maxParam, pgStatementSyntax, splitQuery } from './pg-syntax.js';
import { runSessionCommand, SERVER_PARAMETERS, type SessionState, settingValue } from './session-commands.js';
import { sqlStateOf } from './sqlstate.js';
import { decodeParam, describeFields, encodeValue, PG_TYPE, resultTypeOids } from './values.js';
import {
  BackendMessages,
  decodeFrontendMessage,
  type FieldDescription,
  type FrontendMessage,
} from './wire.js';

/** The slice of the SQL worker pool a session needs. */
export interface StatementRunner {
  execute(req: SqlRequest): Promise<QueryResult>;
}

export interface SessionOptions {
  readonly runner: StatementRunner;
  readonly catalog: CatalogResponder;
  /** The authenticated role: `read` runs read-only statements only. */
  readonly scope: Scope;
  /** Observes each statement the session ran: seconds of wall time and whether it failed. */
  readonly onStatement?: (seconds: number, outcome: 'ok' | 'error' | 'timeout') => void;
}

interface PreparedStatement {
  readonly sql: string;
  readonly paramTypes: readonly number[];
  /** Type OIDs announced by a Describe of the statement; rows are encoded with them. */
  describedOids?: number[];
}

interface Portal {
  readonly statement: PreparedStatement;
  readonly params: Record<string, unknown>;
  readonly resultFormats: readonly number[];
  result?: StatementResult;
  /** Next row to send. */
  cursor: number;
}

/** A statement's outcome as the wire needs it. */
interface StatementResult {
  readonly columns: readonly string[];
  readonly typeOids: readonly number[];
  readonly rows: readonly unknown[][];
  readonly tag: string;
}

const UNNAMED = '';

/**
 * One authenticated Postgres connection: the simple and extended query protocols over infrabase's SQL path
 * (https://www.postgresql.org/docs/current/protocol-flow.html). Statements go to the SQL worker pool under the
 * session's role; SET/SHOW/BEGIN/COMMIT are answered here, catalog queries by the catalog responder.
 * Messages are handled one at a time, in order; `cancel()` ends the running statement like its time limit.
 */
export class PgSession {
  private readonly out = new BackendMessages();
  private readonly statements = new Map<string, PreparedStatement>();
  private readonly portals = new Map<string, Portal>();
  private readonly state: SessionState = { status: 'I', writesInBlock: 0, settings: new Map() };
  /** After an error in the extended protocol, messages up to the next Sync are skipped. */
  private skipToSync = false;
  private running?: AbortController;

  constructor(private readonly options: SessionOptions) {}

  /** The session as catalog functions see it: user and every run-time parameter's current value. */
  private catalogContext(): CatalogContext {
    const settings: Record<string, string> = {};
    for (const name of Object.keys(SERVER_PARAMETERS))
      settings[name.toLowerCase()] = settingValue(this.state, name)!;
    for (const [name, value] of this.state.settings) settings[name] = value;
    return { user: this.options.scope, settings };
  }

  /** Ends the statement running now, if any (a CancelRequest for this session). */
  cancel(): void {
    this.running?.abort();
  }

  /**
   * The replies to one frontend message, or undefined to leave the message to pg-gateway (Terminate).
   * @throws Error for a malformed message (the connection is then closed).
   */
  async handle(message: Uint8Array): Promise<Buffer[] | undefined> {
    const m = decodeFrontendMessage(message);
    if (m.type === 'terminate') return undefined;
    if (m.type === 'query') return this.simpleQuery(m.sql);
    if (m.type === 'sync') {
      this.skipToSync = false;
      this.portals.delete(UNNAMED);
      return [this.out.readyForQuery(this.state.status)];
    }
    if (this.skipToSync) return [];
    try {
      return await this.extended(m);
    } catch (err) {
      this.skipToSync = true;
      if (this.state.status === 'T') this.state.status = 'E';
      return [this.errorMessage(err)];
    }
  }

  private async simpleQuery(sql: string): Promise<Buffer[]> {
    this.portals.delete(UNNAMED);
    const statements = splitQuery(sql);
    const replies: Buffer[] = [];
    if (statements.length === 0) replies.push(this.out.emptyQueryResponse());
    for (const text of statements) {
      try {
        const result = await this.run(text, {});
        const fields = describeFields(result.columns, result.typeOids, []);
        if (result.columns.length > 0) replies.push(this.out.rowDescription(fields));
        for (const row of result.rows) replies.push(this.dataRow(row, fields));
        replies.push(this.out.commandComplete(result.tag));
      } catch (err) {
        if (this.state.status === 'T') this.state.status = 'E';
        replies.push(this.errorMessage(err));
        break;
      }
    }
    replies.push(this.out.readyForQuery(this.state.status));
    return replies;
  }

  private async extended(
    m: Exclude<FrontendMessage, { type: 'query' | 'sync' | 'terminate' }>,
  ): Promise<Buffer[]> {
    switch (m.type) {
      case 'parse':
        if (m.name !== UNNAMED && this.statements.has(m.name)) {
          throw new InfrabaseError('ALREADY_EXISTS', `prepared statement "${m.name}" already exists`);
        }
        this.statements.set(m.name, { sql: m.sql, paramTypes: m.paramTypes });
        return [this.out.parseComplete()];
      case 'bind': {
        const statement = this.statement(m.statement);
        const params: Record<string, unknown> = {};
        m.params.forEach((raw, i) => {
          params[String(i + 1)] = decodeParam(raw, statement.paramTypes[i] ?? 0, m.paramFormats[i], i + 1);
        });
        this.portals.set(m.portal, { statement, params, resultFormats: m.resultFormats, cursor: 0 });
        return [this.out.bindComplete()];
      }
      case 'describe':
        return m.target === 'portal' ? this.describePortal(m.name) : this.describeStatement(m.name);
      case 'execute':
        return this.execute(m.portal, m.maxRows);
      case 'close':
        if (m.target === 'portal') this.portals.delete(m.name);
        else this.statements.delete(m.name);
        return [this.out.closeComplete()];
      case 'flush':
        return [];
      case 'unsupported':
        throw new InfrabaseError(
          'INVALID_ARGUMENT',
          `frontend message '${m.code}' is not supported; accepted: the simple and extended query protocols`,
        );
    }
  }

  private statement(name: string): PreparedStatement {
    const s = this.statements.get(name);
    if (!s) throw new InfrabaseError('NOT_FOUND', `prepared statement "${name}" does not exist`);
    return s;
  }

  private portal(name: string): Portal {
    const p = this.portals.get(name);
    if (!p) throw new InfrabaseError('NOT_FOUND', `portal "${name}" does not exist`);
    return p;
  }

  /**
   * Describe of a portal runs its statement (its parameters are bound) so the row description carries the
   * type OIDs of the actual values; the Execute that follows sends the rows already computed.
   */
  private async describePortal(name: string): Promise<Buffer[]> {
    const portal = this.portal(name);
    portal.result ??= await this.run(portal.statement.sql, portal.params);
    const { columns, typeOids } = portal.result;
    if (columns.length === 0) return [this.out.noData()];
    return [this.out.rowDescription(describeFields(columns, typeOids, portal.resultFormats))];
  }

  /** Describe of a statement prepares it without running it: types come from the declared column types. */
  private async describeStatement(name: string): Promise<Buffer[]> {
    const statement = this.statement(name);
    const syntax = pgStatementSyntax(statement.sql);
    const paramCount = Math.max(statement.paramTypes.length, maxParam(statement.sql));
    const paramOids = Array.from({ length: paramCount }, (_, i) => statement.paramTypes[i] || PG_TYPE.text);
    const replies = [this.out.parameterDescription(paramOids)];
    let described: QueryResult;
    if (syntax.session) described = { columns: [], rows: [], changes: 0 };
    else {
      described = await this.options.runner.execute({
        ...this.target(statement.sql),
        mode: 'describe',
        readOnly: this.options.scope !== 'admin',
      });
    }
    if (described.columns.length === 0) return [...replies, this.out.noData()];
    statement.describedOids = resultTypeOids(
      described.columns.length,
      described.rows,
      described.declaredTypes,
    );
    return [
      ...replies,
      this.out.rowDescription(describeFields(described.columns, statement.describedOids, [])),
    ];
  }

  private async execute(name: string, maxRows: number): Promise<Buffer[]> {
    const portal = this.portal(name);
    portal.result ??= await this.run(portal.statement.sql, portal.params);
    const result = portal.result;
    const oids = portal.statement.describedOids ?? result.typeOids;
    const fields = describeFields(result.columns, oids, portal.resultFormats);
    const end = maxRows > 0 ? Math.min(result.rows.length, portal.cursor + maxRows) : result.rows.length;
    const replies: Buffer[] = [];
    for (; portal.cursor < end; portal.cursor++)
      replies.push(this.dataRow(result.rows[portal.cursor], fields));
    if (portal.cursor < result.rows.length) replies.push(this.out.portalSuspended());
    else replies.push(this.out.commandComplete(result.tag));
    return replies;
  }

  private dataRow(row: readonly unknown[], fields: readonly FieldDescription[]): Buffer {
    return this.out.dataRow(row.map((v, i) => encodeValue(v, fields[i].typeOid, fields[i].format)));
  }

  /** Runs one statement: session commands here, catalog queries in the catalog, the rest in the pool. */
  private async run(sql: string, params: Record<string, unknown>): Promise<StatementResult> {
    const syntax = pgStatementSyntax(sql);
    if (syntax.session) {
      const r = runSessionCommand(syntax.session, this.state, (name) => this.statements.delete(name));
      return { ...r, typeOids: r.columns.map(() => PG_TYPE.text) };
    }
    const started = performance.now();
    const controller = new AbortController();
    this.running = controller;
    try {
      const result = await this.options.runner.execute({
        ...this.target(sql),
        params,
        timeoutMs: statementTimeoutMs(this.state),
        readOnly: this.options.scope !== 'admin',
        declaredTypes: true,
        signal: controller.signal,
      });
      this.options.onStatement?.((performance.now() - started) / 1000, 'ok');
      if (this.state.status === 'T' && result.changes > 0) this.state.writesInBlock += result.changes;
      return {
        columns: result.columns,
        typeOids: resultTypeOids(result.columns.length, result.rows, result.declaredTypes),
        rows: result.rows,
        tag: commandTag(syntax.command, result),
      };
    } catch (err) {
      const outcome = isInfrabaseError(err, 'TIMEOUT') ? 'timeout' : 'error';
      this.options.onStatement?.((performance.now() - started) / 1000, outcome);
      throw err;
    } finally {
      if (this.running === controller) this.running = undefined;
    }
  }

  /** Where a statement runs: a catalog query translated for the catalog database, anything else as it is. */
  private target(sql: string): Pick<SqlRequest, 'sql' | 'handler'> {
    if (!this.options.catalog.handles(sql)) return { sql };
    const handler = { name: PG_CATALOG_HANDLER, context: this.catalogContext() };
    return { sql: this.options.catalog.translate(sql), handler };
  }

  private errorMessage(err: unknown): Buffer {
    if (isInfrabaseError(err)) return this.out.error(sqlStateOf(err), err.message);
    return this.out.error('XX000', err instanceof Error ? err.message : String(err));
  }
}

/**
 * The session's `statement_timeout` as the pool's time limit, ms: Postgres' spellings (`1500`, `'2s'`,
 * `'1min'`), undefined for 0 or unset (the pool's default applies). A value beyond `sql.maxTimeoutMs` is
 * refused by the pool with INVALID_ARGUMENT.
 * @throws InfrabaseError `INVALID_ARGUMENT` for a value that is not a duration.
 */
export function statementTimeoutMs(state: SessionState): number | undefined {
  const raw = state.settings.get('statement_timeout');
  if (raw === undefined) return undefined;
  const m = /^\s*(\d+)\s*(ms|s|min|h)?\s*$/i.exec(raw);
  if (!m) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `statement_timeout ${JSON.stringify(raw)} is not a duration; accepted: milliseconds, or a number with ms, s, min or h`,
    );
  }
  const unit = { ms: 1, s: 1000, min: 60_000, h: 3_600_000 }[(m[2] ?? 'ms').toLowerCase() as 'ms'];
  const ms = Number(m[1]) * unit;
  return ms === 0 ? undefined : ms;
}
