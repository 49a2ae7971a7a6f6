import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { InfrabaseError } from '../../engine/index.js';

/** A WireGuard key pair: Curve25519 (X25519) keys, 32 raw bytes each, in standard base64 (44 characters). */
export interface WireGuardKeyPair {
  /** Base64 of the 32-byte clamped private scalar, as `wg genkey` prints it. Never leaves the node. */
  readonly privateKey: string;
  /** Base64 of the 32-byte public key, as `wg pubkey` prints it. */
  readonly publicKey: string;
}

/** DER prefix of a PKCS#8 X25519 private key (RFC 8410); the raw 32 bytes follow. */
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const KEY_PATTERN = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/** Whether `key` is a WireGuard key: base64 of exactly 32 bytes (44 characters ending in `=`). */
export function isWireGuardKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

/**
 * Decodes a WireGuard base64 key into its 32 raw bytes.
 * @throws InfrabaseError `INVALID_ARGUMENT` when it is not base64 of 32 bytes (the message never echoes the
 *   value, which may be a private key).
 */
export function decodeWireGuardKey(key: string, what = 'key'): Buffer {
  if (!isWireGuardKey(key)) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `${what} is not a WireGuard key (${key.length} characters); expected base64 of 32 bytes, 44 characters ending in '='`,
    );
  }
  return Buffer.from(key, 'base64');
}

/**
 * Generates a key pair with node:crypto, as `wg genkey | tee priv | wg pubkey` would: 32 random bytes clamped
 * per RFC 7748 §5 (Curve25519 scalar), public key by X25519 scalar multiplication of the base point.
 */
export function generateKeyPair(): WireGuardKeyPair {
  const raw = randomBytes(32);
  raw[0] &= 248;
  raw[31] = (raw[31] & 127) | 64;
  const privateKey = raw.toString('base64');
  raw.fill(0);
  return { privateKey, publicKey: publicKeyFromPrivate(privateKey) };
}

/**
 * Derives the public key of a WireGuard private key, as `wg pubkey` does (X25519 clamps the scalar, so
 * unclamped keys give the same result as their clamped form).
 * @throws InfrabaseError `INVALID_ARGUMENT` when `privateKey` is not base64 of 32 bytes.
 */
export function publicKeyFromPrivate(privateKey: string): string {
  const raw = decodeWireGuardKey(privateKey, 'private key');
  const der = Buffer.concat([PKCS8_X25519_PREFIX, raw]);
  try {
    const spki = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({
      format: 'der',
      type: 'spki',
    });
    return spki.subarray(spki.length - 32).toString('base64');
  } finally {
    raw.fill(0);
    der.fill(0);
  }
}
