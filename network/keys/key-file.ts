import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { InfrabaseError } from '../../engine/index.js';
import { isWireGuardKey, publicKeyFromPrivate, type WireGuardKeyPair } from './key-pair.js';

/** The only mode a private key file may have: read/write for its owner, nothing for group and others. */
export const PRIVATE_KEY_MODE = 0o600;

/**
 * Writes a private key to `path`, created with mode 0600 from the start (never widened, never chmod-ed after
 * the fact), via a temporary file in the same directory and an atomic rename, fsynced.
 * The directory is created with mode 0700 when missing.
 * @throws InfrabaseError `INVALID_ARGUMENT` when `privateKey` is not a WireGuard key; `INTERNAL` on I/O errors.
 */
export function writePrivateKeyFile(path: string, privateKey: string): void {
  if (!isWireGuardKey(privateKey)) {
    throw new InfrabaseError('INVALID_ARGUMENT', `refusing to write ${path}: not a WireGuard private key`);
  }
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, PRIVATE_KEY_MODE);
    try {
      writeSync(fd, `${privateKey}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new InfrabaseError('INTERNAL', `cannot write private key file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Reads a private key file written by {@link writePrivateKeyFile} (or by `wg genkey > file` under umask 077).
 * @throws InfrabaseError `NOT_FOUND` when the file does not exist; `PERMISSION_DENIED` when its mode grants
 *   anything to group or others (e.g. 0644: accepted is 0600 or 0400), or when it is not a regular file;
 *   `INVALID_ARGUMENT` when its content is not a WireGuard key.
 */
export function readPrivateKeyFile(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InfrabaseError('NOT_FOUND', `private key file ${path} does not exist`);
    throw new InfrabaseError('PERMISSION_DENIED', `cannot open private key file ${path}: ${code}`, {
      cause: err,
    });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      throw new InfrabaseError('PERMISSION_DENIED', `private key file ${path} is not a regular file`);
    }
    const mode = st.mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new InfrabaseError(
        'PERMISSION_DENIED',
        `private key file ${path} has mode ${mode.toString(8).padStart(4, '0')}, readable by others; ` +
          'accepted: 0600 or 0400 (run chmod 600 on it, or delete it to generate a new key)',
      );
    }
    const key = readFileSync(fd, 'utf8').trim();
    if (!isWireGuardKey(key)) {
      throw new InfrabaseError('INVALID_ARGUMENT', `private key file ${path} does not hold a WireGuard key`);
    }
    return key;
  } finally {
    closeSync(fd);
  }
}

/**
 * The node's key pair at first start: reads `path` if it exists, otherwise generates a key pair and stores the
 * private key there with mode 0600. Only the public key should leave the node.
 * @throws see {@link readPrivateKeyFile} and {@link writePrivateKeyFile}.
 */
export function loadOrCreateKeyPair(path: string, generate: () => WireGuardKeyPair): WireGuardKeyPair {
  try {
    const privateKey = readPrivateKeyFile(path);
    return { privateKey, publicKey: publicKeyFromPrivate(privateKey) };
  } catch (err) {
    if (!(err instanceof InfrabaseError && err.code === 'NOT_FOUND')) throw err;
  }
  const pair = generate();
  writePrivateKeyFile(path, pair.privateKey);
  return pair;
}
