import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  generateKeyPair,
  isWireGuardKey,
  NodeKeyStore,
  publicKeyFromPrivate,
  readPrivateKeyFile,
  which,
  writePrivateKeyFile,
} from '../../network/index.js';
import { tempDir } from '../support/tmp.js';

const hasWg = which('wg') !== null;
const wg = (args: string[], input?: string) => execFileSync('wg', args, { input, encoding: 'utf8' }).trim();

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('infrabase-keys-');
});
afterEach(() => tmp.cleanup());

describe('WireGuard key pairs', () => {
  it('generates 32-byte base64 keys with a clamped private scalar', () => {
    const pair = generateKeyPair();
    expect(isWireGuardKey(pair.privateKey)).toBe(true);
    expect(isWireGuardKey(pair.publicKey)).toBe(true);
    const raw = Buffer.from(pair.privateKey, 'base64');
    expect(raw.length).toBe(32);
    expect(raw[0] & 7).toBe(0);
    expect(raw[31] & 0xc0).toBe(0x40);
    expect(generateKeyPair().privateKey).not.toBe(pair.privateKey);
  });

  it.skipIf(!hasWg)('derives the same public key as `wg pubkey` for keys made by node:crypto', () => {
    for (let i = 0; i < 5; i++) {
      const pair = generateKeyPair();
      expect(wg(['pubkey'], pair.privateKey)).toBe(pair.publicKey);
    }
  });

  it.skipIf(!hasWg)('derives the same public key as `wg pubkey` for keys made by `wg genkey`', () => {
    for (let i = 0; i < 5; i++) {
      const priv = wg(['genkey']);
      expect(publicKeyFromPrivate(priv)).toBe(wg(['pubkey'], priv));
    }
  });

  it('rejects a malformed key without echoing it', () => {
    expect(() => publicKeyFromPrivate('c2VjcmV0')).toThrow(
      /private key is not a WireGuard key \(8 characters\)/,
    );
    try {
      publicKeyFromPrivate('c2VjcmV0');
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('c2VjcmV0');
    }
  });
});

describe('private key files', () => {
  it('are created with mode 0600 even under a permissive umask', () => {
    const old = process.umask(0);
    try {
      const path = join(tmp.dir, 'sub', 'wireguard.key');
      writePrivateKeyFile(path, generateKeyPair().privateKey);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(join(tmp.dir, 'sub')).mode & 0o777).toBe(0o700);
    } finally {
      process.umask(old);
    }
  });

  it('round-trip through write and read', () => {
    const path = join(tmp.dir, 'k');
    const pair = generateKeyPair();
    writePrivateKeyFile(path, pair.privateKey);
    expect(readPrivateKeyFile(path)).toBe(pair.privateKey);
  });

  it('are refused when readable by group or others, naming the mode and what is accepted', () => {
    const path = join(tmp.dir, 'k');
    writePrivateKeyFile(path, generateKeyPair().privateKey);
    chmodSync(path, 0o644);
    expect(() => readPrivateKeyFile(path)).toThrow(
      /has mode 0644, readable by others; accepted: 0600 or 0400/,
    );
    chmodSync(path, 0o400);
    expect(isWireGuardKey(readPrivateKeyFile(path))).toBe(true);
  });

  it('are refused when the content is not a key, and reported missing with NOT_FOUND', () => {
    const path = join(tmp.dir, 'k');
    writeFileSync(path, 'not a key\n', { mode: 0o600 });
    expect(() => readPrivateKeyFile(path)).toThrow(/does not hold a WireGuard key/);
    expect(() => readPrivateKeyFile(join(tmp.dir, 'missing'))).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
  });

  it.skipIf(!hasWg)('written by infrabase are accepted by `wg pubkey`', () => {
    const path = join(tmp.dir, 'k');
    const pair = generateKeyPair();
    writePrivateKeyFile(path, pair.privateKey);
    expect(wg(['pubkey'], readFileSync(path, 'utf8'))).toBe(pair.publicKey);
  });
});

describe('NodeKeyStore', () => {
  it('generates the key at first start and returns the same key afterwards', () => {
    const store = new NodeKeyStore(tmp.dir);
    const first = store.current();
    expect(new NodeKeyStore(tmp.dir).current()).toEqual(first);
    expect(statSync(store.currentPath).mode & 0o777).toBe(0o600);
  });

  it('stages a next key once, keeps the current one until promotion, then makes it current', () => {
    const store = new NodeKeyStore(tmp.dir);
    const current = store.current();
    expect(store.stagedPublicKey()).toBeNull();
    const next = store.stageNext();
    expect(store.stageNext()).toBe(next);
    expect(store.stagedPublicKey()).toBe(next);
    expect(store.current()).toEqual(current);
    expect(statSync(store.nextPath).mode & 0o777).toBe(0o600);
    expect(store.promoteNext().publicKey).toBe(next);
    expect(store.current().publicKey).toBe(next);
    expect(store.stagedPublicKey()).toBeNull();
    expect(statSync(store.currentPath).mode & 0o777).toBe(0o600);
  });

  it('refuses to promote when nothing is staged', () => {
    expect(() => new NodeKeyStore(tmp.dir).promoteNext()).toThrow(/no staged key/);
  });
});
