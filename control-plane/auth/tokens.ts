import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfrabaseError } from '../../engine/index.js';

/** What a bearer token allows. */
export type Scope = 'admin' | 'read';

export interface ApiTokens {
  readonly admin: string;
  readonly read: string;
}

/** The file, inside the data dir, that holds the API tokens (mode 0600). */
export const TOKENS_FILE = 'tokens.json';

/**
 * Loads the API tokens from `<dataDir>/tokens.json`, generating them (256 random bits each, base64url) on the
 * first start. The file is created with mode 0600 and its mode is re-tightened if it was widened.
 *
 * @returns the tokens, the file's path, and whether they were just created (print them once, then never).
 * @throws InfrabaseError `INVALID_ARGUMENT` if the file exists but is not a valid tokens file.
 */
export function ensureTokens(dataDir: string): { tokens: ApiTokens; path: string; created: boolean } {
  const path = join(dataDir, TOKENS_FILE);
  if (existsSync(path)) {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    return { tokens: readTokens(path), path, created: false };
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const tokens: ApiTokens = { admin: newToken('ib_admin'), read: newToken('ib_read') };
  writeFileSync(path, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return { tokens, path, created: true };
}

/** Reads a tokens file. @throws InfrabaseError `INVALID_ARGUMENT` when it is missing or malformed. */
export function readTokens(path: string): ApiTokens {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `cannot read API tokens from ${path}: ${(err as Error).message}`,
    );
  }
  const t = value as Partial<ApiTokens>;
  if (typeof t?.admin !== 'string' || typeof t?.read !== 'string') {
    throw new InfrabaseError('INVALID_ARGUMENT', `${path} must hold {"admin": "...", "read": "..."}`);
  }
  return { admin: t.admin, read: t.read };
}

/** The scope a presented token grants, compared in constant time; undefined when it matches none. */
export function scopeOf(tokens: ApiTokens, presented: string): Scope | undefined {
  if (constantTimeEqual(presented, tokens.admin)) return 'admin';
  if (constantTimeEqual(presented, tokens.read)) return 'read';
  return undefined;
}

/** Whether two secrets are equal, comparing their UTF-8 bytes in constant time once their lengths match. */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function newToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}
