import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** File in the agent's data dir holding its node token (JSON, mode 0600). */
export const NODE_TOKEN_FILE = 'node-token.json';

interface Stored {
  /** sha256 hex of the join token of the launch the node token belongs to. */
  readonly launch: string;
  readonly nodeToken: string;
}

/**
 * The agent's node token on disk, so that a restarted agent re-joins with it (`POST /v1/nodes/join` accepts a
 * node token) instead of its join token, which is single-use — as a Tailscale node re-authenticates with its
 * node key. The file is bound to the join token it descends from (by its sha256): an agent started for a new
 * launch in the same data dir (a replaced local node) ignores a token of the previous launch. Written
 * atomically (temp file + rename), mode 0600.
 */
export class NodeCredentials {
  private readonly path: string;
  private readonly launch: string;

  constructor(dataDir: string, joinToken: string) {
    this.path = join(dataDir, NODE_TOKEN_FILE);
    this.launch = createHash('sha256').update(joinToken).digest('hex');
  }

  /** The stored node token of this launch, if any (a missing, foreign or unreadable file reads as none). */
  load(): string | undefined {
    try {
      const s = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<Stored>;
      return s.launch === this.launch && typeof s.nodeToken === 'string' ? s.nodeToken : undefined;
    } catch {
      return undefined;
    }
  }

  /** Replaces the stored node token. */
  save(nodeToken: string): void {
    const tmp = `${this.path}.${process.pid}.tmp`;
    const body: Stored = { launch: this.launch, nodeToken };
    writeFileSync(tmp, JSON.stringify(body), { mode: 0o600 });
    renameSync(tmp, this.path);
  }

  /** Forgets the stored node token (the control plane refused it). */
  clear(): void {
    rmSync(this.path, { force: true });
  }
}
