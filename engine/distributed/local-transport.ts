import { join } from 'node:path';
import { InfrabaseError } from '../errors.js';
import { evaluateWrite } from './evaluate-write.js';
import type { PlacementFiles } from './placement-files.js';
import type { ByteRateLimiter } from './rate-limiter.js';
import type { PlacementDigest, PlacementTransport } from './transport.js';

/**
 * A {@link PlacementTransport} over placement files in this process: one {@link PlacementFiles} per node id.
 * For the seeded simulation and tests: `down(node)` makes every call to it throw `UNAVAILABLE`, as an
 * unreachable agent does; `failNext(node, n)` fails its next n calls (a dropped reply).
 */
export class LocalPlacementTransport implements PlacementTransport {
  private readonly isDown = new Set<string>();
  private readonly failures = new Map<string, number>();

  constructor(
    readonly nodes: Map<string, PlacementFiles>,
    private readonly tmpDir: string,
  ) {}

  down(node: string, down = true): void {
    if (down) this.isDown.add(node);
    else this.isDown.delete(node);
  }

  isDownNode(node: string): boolean {
    return this.isDown.has(node);
  }

  failNext(node: string, calls: number): void {
    this.failures.set(node, calls);
  }

  private files(node: string): PlacementFiles {
    const left = this.failures.get(node) ?? 0;
    if (left > 0) this.failures.set(node, left - 1);
    const f = this.nodes.get(node);
    if (!f || this.isDown.has(node) || left > 0) {
      throw new InfrabaseError('UNAVAILABLE', `node ${node} is unreachable`);
    }
    return f;
  }

  async create(node: string, group: string, shard: number, epoch: number) {
    return this.files(node).create(group, shard, epoch);
  }
  async list(node: string) {
    return this.files(node).list();
  }
  async drop(node: string, group: string, shard: number) {
    this.files(node).drop(group, shard);
  }
  async apply(node: string, group: string, shard: number, batch: Parameters<PlacementTransport['apply']>[3]) {
    return this.files(node).get(group, shard).apply(batch);
  }
  async position(node: string, group: string, shard: number) {
    return this.files(node).get(group, shard).position();
  }
  async logSince(node: string, group: string, shard: number, afterLsn: number) {
    return this.files(node).get(group, shard).logSince(afterLsn);
  }
  /** The backup-API copy; with a limiter, the snapshot's bytes are granted in 64 KiB chunks before install. */
  async copy(source: string, target: string, group: string, shard: number, limiter?: ByteRateLimiter) {
    const tmp = join(this.tmpDir, `copy-${group}-${shard}-${source}-${target}.db`);
    const snap = await this.files(source).snapshot(group, shard, tmp);
    for (let left = snap.bytes; limiter && left > 0; left -= 65_536)
      await limiter.take(Math.min(left, 65_536));
    this.files(target).install(group, shard, tmp);
    return { lsn: snap.lsn, bytes: snap.bytes };
  }
  async digest(node: string, group: string, shard: number): Promise<PlacementDigest> {
    const f = this.files(node).get(group, shard);
    return { ...f.position(), ...f.checksum(), bytes: f.bytes(), tables: f.tables() };
  }
  async query(node: string, group: string, shard: number, sql: string, params: readonly unknown[]) {
    return this.files(node).query(group, shard, sql, params);
  }
  async evaluate(
    node: string,
    group: string,
    shard: number,
    sql: string,
    params: readonly unknown[],
    shardKeys: Record<string, string>,
  ) {
    return evaluateWrite(this.files(node).get(group, shard), sql, params, new Map(Object.entries(shardKeys)));
  }
}
