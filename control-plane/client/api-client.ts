import { InfrabaseError, isErrorCode } from '../../engine/index.js';

/** The answer of `POST /v1/sql`. BLOBs arrive as `{"$base64": "..."}`. */
export interface SqlResponse {
  columns: string[];
  rows: unknown[][];
  changes: number;
}

/**
 * A small client for the control plane's HTTP API (used by the CLI, the agent and tests).
 * Errors from the API are rethrown as InfrabaseError with the server's code and message.
 */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  /** Runs one statement. @throws InfrabaseError as answered by the server, or `UNAVAILABLE` if unreachable. */
  sql(sql: string, params?: unknown[] | Record<string, unknown>, timeoutMs?: number): Promise<SqlResponse> {
    return this.request<SqlResponse>('POST', '/v1/sql', { sql, params, timeoutMs });
  }

  async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), {
        method,
        signal,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new InfrabaseError(
        'UNAVAILABLE',
        `cannot reach the control plane at ${this.baseUrl}: ${causeOf(err)}`,
        { cause: err, details: { reachable: false } },
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const error = (json as { error?: { code?: string; message?: string } })?.error;
      const code = isErrorCode(error?.code) ? error.code : 'INTERNAL';
      throw new InfrabaseError(code, error?.message ?? `HTTP ${res.status}: ${text.slice(0, 200)}`, {
        details: { status: res.status },
      });
    }
    return json as T;
  }
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}
