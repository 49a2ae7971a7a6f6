import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InfrabaseError } from '../../engine/index.js';
import { loadOrCreateKeyPair, readPrivateKeyFile, writePrivateKeyFile } from './key-file.js';
import { generateKeyPair, publicKeyFromPrivate, type WireGuardKeyPair } from './key-pair.js';

/** File names inside the node's key directory. */
export const CURRENT_KEY_FILE = 'wireguard.key';
export const NEXT_KEY_FILE = 'wireguard.next.key';

/**
 * The node's WireGuard keys on disk: `<dir>/wireguard.key` (current) and, during a rotation,
 * `<dir>/wireguard.next.key` (staged), both mode 0600. The directory is the node's data dir (or a
 * subdirectory of it) — never the control plane's.
 */
export class NodeKeyStore {
  constructor(
    readonly dir: string,
    private readonly generate: () => WireGuardKeyPair = generateKeyPair,
  ) {}

  get currentPath(): string {
    return join(this.dir, CURRENT_KEY_FILE);
  }

  get nextPath(): string {
    return join(this.dir, NEXT_KEY_FILE);
  }

  /** The current key pair, generated and stored at first start. @throws see readPrivateKeyFile. */
  current(): WireGuardKeyPair {
    return loadOrCreateKeyPair(this.currentPath, this.generate);
  }

  /**
   * Stages the next key (`infrabase mesh rotate-key`): generates it unless one is already staged (so a
   * repeated command does not lose a key peers may already hold), and returns its public key to advertise.
   */
  stageNext(): string {
    this.current();
    return loadOrCreateKeyPair(this.nextPath, this.generate).publicKey;
  }

  /** The staged next public key, or `null` when no rotation is under way. */
  stagedPublicKey(): string | null {
    if (!existsSync(this.nextPath)) return null;
    return publicKeyFromPrivate(readPrivateKeyFile(this.nextPath));
  }

  /**
   * Makes the staged key current (atomic rename, mode kept) once the switch happened.
   * @throws InfrabaseError `NOT_FOUND` when nothing is staged.
   */
  promoteNext(): WireGuardKeyPair {
    if (!existsSync(this.nextPath)) {
      throw new InfrabaseError('NOT_FOUND', `no staged key at ${this.nextPath}; run rotate-key first`);
    }
    const privateKey = readPrivateKeyFile(this.nextPath);
    renameSync(this.nextPath, this.currentPath);
    return { privateKey, publicKey: publicKeyFromPrivate(privateKey) };
  }

  /** Abandons a staged key (a rotation the control plane rejected). */
  discardNext(): void {
    rmSync(this.nextPath, { force: true });
  }

  /** Stores a given private key as current (used when importing a key made by `wg genkey`). */
  importCurrent(privateKey: string): WireGuardKeyPair {
    writePrivateKeyFile(this.currentPath, privateKey);
    return { privateKey, publicKey: publicKeyFromPrivate(privateKey) };
  }
}
