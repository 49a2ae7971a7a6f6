import BetterSqlite3 from 'better-sqlite3';
import type { CloudProvider, Instance, NodeSpec } from '../../autoinfra/index.js';
import { InfrabaseError, type NodeProvider } from '../../engine/index.js';

export type FakeOp = 'create' | 'delete' | 'get' | 'listOwned';

export interface FakeCall {
  readonly op: FakeOp;
  readonly arg: string;
  readonly at: number;
}

interface Row {
  id: string;
  token: string | null;
  node_id: string | null;
  cluster_id: string | null;
  state: Instance['state'];
  zone: string | null;
  instance_type: string | null;
  launched_at: number;
}

export interface FakeProviderOptions {
  readonly name?: NodeProvider;
  readonly clusterId: string;
  /** SQLite file holding the fake cloud's state, so it survives the death of the process using it. */
  readonly path?: string;
  readonly now?: () => number;
  /** Server-side throttling: a call finding the bucket empty fails with `THROTTLED` (RequestLimitExceeded). */
  readonly throttle?: { tryTake(): boolean };
}

/**
 * An in-memory (or file-backed) cloud honouring the {@link CloudProvider} contract: the same token returns
 * the same instance (also after termination, as EC2's ClientToken does), `delete` of a terminated instance
 * throws `NOT_FOUND`, `listOwned` returns only non-terminated instances tagged with the cluster. Records every
 * call; faults are queued per operation; a reply can be dropped after the action was done; capacity errors
 * can be set per (type, zone). State changes are single SQLite transactions, so several processes may share
 * a file-backed fake.
 */
export class FakeProvider implements CloudProvider {
  readonly name: NodeProvider;
  readonly calls: FakeCall[] = [];
  private readonly db: BetterSqlite3.Database;
  private readonly faults = new Map<FakeOp, (InfrabaseError | 'drop-reply')[]>();
  private readonly noCapacity = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly options: FakeProviderOptions) {
    this.name = options.name ?? 'local';
    this.now = options.now ?? Date.now;
    this.db = new BetterSqlite3(options.path ?? ':memory:');
    this.db.pragma('busy_timeout = 5000');
    if (options.path) this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS instances (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, token TEXT UNIQUE, node_id TEXT,
      cluster_id TEXT, state TEXT NOT NULL, zone TEXT, instance_type TEXT, launched_at INTEGER NOT NULL)`);
  }

  /** Queues an error for the next call of `op`. */
  failNext(op: FakeOp, err: InfrabaseError): this {
    this.queue(op).push(err);
    return this;
  }

  /** The next call of `op` does its work and then fails with `UNAVAILABLE` (a reply lost on the way back). */
  dropReplyNext(op: FakeOp): this {
    this.queue(op).push('drop-reply');
    return this;
  }

  /** `create` in (type, zone) answers `INSUFFICIENT_CAPACITY` until cleared. */
  setCapacity(instanceType: string | undefined, zone: string | undefined, available: boolean): this {
    const key = `${instanceType ?? '*'}/${zone ?? '*'}`;
    if (available) this.noCapacity.delete(key);
    else this.noCapacity.add(key);
    return this;
  }

  /** Adds an instance directly (e.g. foreign or untagged ones, or one launched earlier). */
  addInstance(i: {
    id: string;
    nodeId?: string;
    clusterId?: string;
    launchedAt?: number;
    state?: Instance['state'];
  }) {
    this.db
      .prepare(
        `INSERT INTO instances (id, token, node_id, cluster_id, state, launched_at) VALUES (?, NULL, ?, ?, ?, ?)`,
      )
      .run(i.id, i.nodeId ?? null, i.clusterId ?? null, i.state ?? 'running', i.launchedAt ?? this.now());
  }

  /** Terminates an instance behind infrabase's back. */
  terminateOutside(id: string): void {
    this.db.prepare(`UPDATE instances SET state = 'terminated' WHERE id = ?`).run(id);
  }

  /** Every instance ever created, terminated ones included. */
  all(): Instance[] {
    return (this.db.prepare('SELECT * FROM instances ORDER BY seq').all() as Row[]).map(toInstance);
  }

  count(op: FakeOp): number {
    return this.calls.filter((c) => c.op === op).length;
  }

  close(): void {
    this.db.close();
  }

  async create(spec: NodeSpec, token: string, signal: AbortSignal): Promise<Instance> {
    const drop = this.enter('create', token, signal);
    if (this.noCapacity.has(`${spec.instanceType ?? '*'}/${spec.zone ?? '*'}`)) {
      throw new InfrabaseError(
        'INSUFFICIENT_CAPACITY',
        `no capacity for ${spec.instanceType} in ${spec.zone}`,
        { retryable: false },
      );
    }
    const row = this.db
      .transaction(() => {
        const existing = this.db.prepare('SELECT * FROM instances WHERE token = ?').get(token) as
          | Row
          | undefined;
        if (existing) return existing;
        const seq =
          (this.db.prepare('SELECT coalesce(max(seq), 0) + 1 FROM instances').pluck().get() as number) ?? 1;
        const id = `i-${seq.toString(16).padStart(8, '0')}`;
        this.db
          .prepare(
            `INSERT INTO instances (id, token, node_id, cluster_id, state, zone, instance_type, launched_at)
           VALUES (?, ?, ?, ?, 'running', ?, ?, ?)`,
          )
          .run(
            id,
            token,
            spec.nodeId,
            this.options.clusterId,
            spec.zone ?? null,
            spec.instanceType ?? null,
            this.now(),
          );
        return this.db.prepare('SELECT * FROM instances WHERE id = ?').get(id) as Row;
      })
      .immediate();
    if (drop) throw dropped('create');
    return toInstance(row);
  }

  async delete(instanceId: string, signal: AbortSignal): Promise<void> {
    const drop = this.enter('delete', instanceId, signal);
    const changes = this.db
      .prepare(`UPDATE instances SET state = 'terminated' WHERE id = ? AND state <> 'terminated'`)
      .run(instanceId).changes;
    if (changes === 0)
      throw new InfrabaseError('NOT_FOUND', `instance ${instanceId} does not exist or is terminated`);
    if (drop) throw dropped('delete');
  }

  async get(instanceId: string, signal: AbortSignal): Promise<Instance> {
    this.enter('get', instanceId, signal);
    const row = this.db.prepare('SELECT * FROM instances WHERE id = ?').get(instanceId) as Row | undefined;
    if (!row) throw new InfrabaseError('NOT_FOUND', `instance ${instanceId} does not exist`);
    return toInstance(row);
  }

  async listOwned(signal: AbortSignal): Promise<Instance[]> {
    this.enter('listOwned', '', signal);
    return (
      this.db
        .prepare(`SELECT * FROM instances WHERE cluster_id = ? AND state <> 'terminated' ORDER BY seq`)
        .all(this.options.clusterId) as Row[]
    ).map(toInstance);
  }

  private queue(op: FakeOp) {
    const q = this.faults.get(op) ?? [];
    this.faults.set(op, q);
    return q;
  }

  /** Records the call and applies a queued fault. @returns whether the reply is to be dropped. */
  private enter(op: FakeOp, arg: string, signal: AbortSignal): boolean {
    if (signal.aborted) throw signal.reason;
    this.calls.push({ op, arg, at: this.now() });
    if (this.options.throttle && !this.options.throttle.tryTake()) {
      throw new InfrabaseError('THROTTLED', `${op}: RequestLimitExceeded`);
    }
    const fault = this.faults.get(op)?.shift();
    if (fault === 'drop-reply') return true;
    if (fault) throw fault;
    return false;
  }
}

function dropped(op: FakeOp): InfrabaseError {
  return new InfrabaseError('UNAVAILABLE', `reply to ${op} was lost after the action was done`);
}

function toInstance(r: Row): Instance {
  return {
    id: r.id,
    nodeId: r.node_id ?? undefined,
    clusterId: r.cluster_id ?? undefined,
    state: r.state,
    zone: r.zone ?? undefined,
    instanceType: r.instance_type ?? undefined,
    launchedAt: r.launched_at,
  };
}
