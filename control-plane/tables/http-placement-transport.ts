import { Readable } from 'node:stream';
import {
  type ByteRateLimiter,
  type Database,
  InfrabaseError,
  type PlacementDigest,
  type PlacementPosition,
  type PlacementTransport,
  type ShardQueryResult,
  type WriteBatch,
  type WriteOp,
} from '../../engine/index.js';
import type { AgentClient, DataNode } from '../training/index.js';
import { referencedModels, syncModels } from './model-sync.js';

/**
 * The {@link PlacementTransport} of the control plane: the agents' placement API
 * (agent/placement-routes.ts) over HTTP with each node's control credential. Nodes are looked up
 * in `sys_nodes` by id on every call (a relaunched node has a new endpoint and launch). A snapshot streams
 * from the source agent through this process to the target agent, never wholly in memory, each chunk passed
 * on once the data layer's MB/s limiter grants it.
 */
export class HttpPlacementTransport implements PlacementTransport {
  constructor(
    private readonly db: Database,
    private readonly agents: AgentClient,
    /** Per-call time limit, ms (a snapshot copy gets `copyTimeoutMs`). */
    private readonly timeoutMs = 30_000,
    private readonly copyTimeoutMs = 30 * 60_000,
  ) {}

  private node(id: string): DataNode {
    const n = this.db
      .prepare<[string], DataNode>(
        'SELECT id, endpoint, idempotency_token AS launch FROM sys_nodes WHERE id = ? AND endpoint IS NOT NULL AND idempotency_token IS NOT NULL',
      )
      .get(id);
    if (!n) throw new InfrabaseError('UNAVAILABLE', `node ${id} has no agent endpoint`);
    return n;
  }

  private path(group: string, shard: number, rest = ''): string {
    return `/v1/placements/${encodeURIComponent(group)}/${shard}${rest}`;
  }

  async list(node: string): Promise<PlacementPosition[]> {
    return (
      await this.agents.get<{ placements: PlacementPosition[] }>(
        this.node(node),
        '/v1/placements',
        this.timeoutMs,
      )
    ).placements;
  }
  create(node: string, group: string, shard: number, epoch: number): Promise<PlacementPosition> {
    return this.agents.put(this.node(node), this.path(group, shard), { epoch }, this.timeoutMs);
  }
  async drop(node: string, group: string, shard: number): Promise<void> {
    await this.agents.request('DELETE', this.node(node), this.path(group, shard), undefined, this.timeoutMs);
  }
  async apply(
    node: string,
    group: string,
    shard: number,
    batch: WriteBatch,
  ): Promise<'applied' | 'duplicate'> {
    return (
      await this.agents.post<{ outcome: 'applied' | 'duplicate' }>(
        this.node(node),
        this.path(group, shard, '/apply'),
        batch,
        this.timeoutMs,
      )
    ).outcome;
  }
  position(node: string, group: string, shard: number): Promise<PlacementPosition> {
    return this.agents.get(this.node(node), this.path(group, shard), this.timeoutMs);
  }
  async logSince(node: string, group: string, shard: number, afterLsn: number): Promise<WriteBatch[]> {
    return (
      await this.agents.get<{ batches: WriteBatch[] }>(
        this.node(node),
        this.path(group, shard, `/log?after=${afterLsn}`),
        this.timeoutMs,
      )
    ).batches;
  }
  digest(node: string, group: string, shard: number): Promise<PlacementDigest> {
    return this.agents.get(this.node(node), this.path(group, shard, '/digest'), this.timeoutMs);
  }
  /**
   * Runs a shard's statement on the node. The models it scores with (`PREDICT('name', …)` and kin) are copied to
   * the node's `sys_models` first, as for `/v1/sql/cluster`, so the agent's shard query can load them; the
   * agent runs it in its placement SQL worker under this transport's time limit.
   */
  async query(
    node: string,
    group: string,
    shard: number,
    sql: string,
    params: readonly unknown[],
  ): Promise<ShardQueryResult> {
    const target = this.node(node);
    await syncModels(this.db, this.agents, target, referencedModels(sql), this.timeoutMs);
    // The agent's worker stops the statement when this call gives up on it.
    const body = { sql, params, timeoutMs: this.timeoutMs };
    return this.agents.post(target, this.path(group, shard, '/query'), body, this.timeoutMs);
  }
  async evaluate(
    node: string,
    group: string,
    shard: number,
    sql: string,
    params: readonly unknown[],
    shardKeys: Record<string, string>,
  ): Promise<WriteOp[]> {
    return (
      await this.agents.post<{ ops: WriteOp[] }>(
        this.node(node),
        this.path(group, shard, '/evaluate'),
        { sql, params, shardKeys },
        this.timeoutMs,
      )
    ).ops;
  }

  async copy(
    source: string,
    target: string,
    group: string,
    shard: number,
    limiter?: ByteRateLimiter,
  ): Promise<{ lsn: number; bytes: number }> {
    const from = this.node(source);
    const to = this.node(target);
    const signal = AbortSignal.timeout(this.copyTimeoutMs);
    const fail = (who: DataNode, err: unknown) =>
      new InfrabaseError(
        'UNAVAILABLE',
        `copy of ${group}/${shard} from ${source} to ${target}: node ${who.id}: ${(err as Error).message}`,
        { cause: err },
      );
    let res: Response;
    try {
      res = await fetch(`http://${from.endpoint}${this.path(group, shard, '/snapshot')}`, {
        headers: { authorization: this.agents.authorization(from) },
        signal,
      });
    } catch (err) {
      throw fail(from, err);
    }
    if (!res.ok || !res.body)
      throw fail(from, new Error(`HTTP ${res.status}: ${await res.text().catch(() => '')}`));
    const lsn = Number(res.headers.get('x-infrabase-lsn'));
    let bytes = 0;
    const counted = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream).on(
      'data',
      (c: Buffer) => {
        bytes += c.length;
      },
    );
    const body = limiter ? Readable.from(limiter.throttle<Buffer>(counted, signal)) : counted;
    let put: Response;
    try {
      put = await fetch(`http://${to.endpoint}${this.path(group, shard, '/snapshot')}`, {
        method: 'PUT',
        headers: { authorization: this.agents.authorization(to), 'content-type': 'application/octet-stream' },
        body: Readable.toWeb(body),
        duplex: 'half',
        signal,
      } as RequestInit);
    } catch (err) {
      throw fail(to, err);
    }
    if (!put.ok) throw fail(to, new Error(`HTTP ${put.status}: ${await put.text().catch(() => '')}`));
    const installed = (await put.json()) as PlacementPosition;
    if (installed.lsn !== lsn)
      throw fail(to, new Error(`installed lsn ${installed.lsn}; snapshot was ${lsn}`));
    return { lsn, bytes };
  }
}
