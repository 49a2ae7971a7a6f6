import type { NodeTokens } from '../../autoinfra/index.js';
import { type Database, InfrabaseError, isErrorCode } from '../../engine/index.js';

/** A ready data node the control plane can call: its id, agent endpoint and current launch. */
export interface DataNode {
  readonly id: string;
  /** `host:port` of the agent. */
  readonly endpoint: string;
  /** The row's idempotency token: the launch the agent's credential belongs to. */
  readonly launch: string;
}

/** Called with every reply body an agent sends to the control plane (to audit what crosses the network). */
export type ReplyRecorder = (nodeId: string, path: string, body: unknown) => void;

/** Ready data nodes with an endpoint, ordered by id. */
export function readyDataNodes(db: Database): DataNode[] {
  return db
    .prepare<[], DataNode>(
      `SELECT id, endpoint, idempotency_token AS launch FROM sys_nodes
       WHERE role = 'data' AND status = 'ready' AND desired_state = 'running'
         AND endpoint IS NOT NULL AND idempotency_token IS NOT NULL
       ORDER BY id`,
    )
    .all();
}

/**
 * Calls agents' endpoints with a control token signed for that node and launch (expires after
 * CONTROL_TOKEN_TTL_MS). The address is `sys_nodes.endpoint`, which only the control plane writes, from the
 * provider's or the mesh's address and the port recorded at join (see control-plane/nodes/routes.ts). JSON in,
 * JSON out.
 */
export class AgentClient {
  constructor(
    private readonly tokens: NodeTokens,
    private readonly recorder?: ReplyRecorder,
  ) {}

  /** The `Authorization` header value for calls to `node` (a fresh control token), for streamed calls. */
  authorization(node: DataNode): string {
    return `Bearer ${this.tokens.controlToken(node.id, node.launch, Date.now())}`;
  }

  /** POSTs `body` to the agent. See {@link AgentClient.request}. */
  post<T>(node: DataNode, path: string, body: unknown, timeoutMs: number, signal?: AbortSignal): Promise<T> {
    return this.request<T>('POST', node, path, body, timeoutMs, signal);
  }

  /** PUTs `body` to the agent. See {@link AgentClient.request}. */
  put<T>(node: DataNode, path: string, body: unknown, timeoutMs: number, signal?: AbortSignal): Promise<T> {
    return this.request<T>('PUT', node, path, body, timeoutMs, signal);
  }

  /** GETs from the agent. See {@link AgentClient.request}. */
  get<T>(node: DataNode, path: string, timeoutMs: number, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', node, path, undefined, timeoutMs, signal);
  }

  /**
   * Calls `http://<endpoint><path>` with the node's control credential; JSON in, JSON out.
   * @param timeoutMs gives up after this many ms (`TIMEOUT`).
   * @throws InfrabaseError with the agent's code and message, `TIMEOUT`, or `UNAVAILABLE` when unreachable.
   */
  async request<T>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    node: DataNode,
    path: string,
    body: unknown,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<T> {
    const timeout = AbortSignal.timeout(timeoutMs);
    let res: Response;
    try {
      res = await fetch(`http://${node.endpoint}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          authorization: this.authorization(node),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      if (timeout.aborted) {
        throw new InfrabaseError('TIMEOUT', `node ${node.id} did not answer ${path} within ${timeoutMs} ms`);
      }
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new InfrabaseError(
        'UNAVAILABLE',
        `node ${node.id} at ${node.endpoint} is unreachable: ${cause}`,
        {
          cause: err,
        },
      );
    }
    let json: unknown;
    try {
      json = await res.json();
    } catch (err) {
      if (timeout.aborted) {
        throw new InfrabaseError('TIMEOUT', `node ${node.id} did not answer ${path} within ${timeoutMs} ms`);
      }
      throw new InfrabaseError('UNAVAILABLE', `node ${node.id} sent a reply that is not JSON on ${path}`, {
        cause: err,
      });
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: string; message?: string } })?.error;
      throw new InfrabaseError(
        isErrorCode(e?.code) ? e.code : 'UNAVAILABLE',
        `node ${node.id}: ${e?.message ?? `HTTP ${res.status}`}`,
      );
    }
    this.recorder?.(node.id, path, json);
    return json as T;
  }
}
