import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { InfrabaseError } from '../../engine/index.js';

/** PEM key and certificate the Postgres endpoint offers to clients that ask for TLS. */
export interface TlsMaterial {
  readonly key: Buffer;
  readonly cert: Buffer;
  /** Where they were read from or written to. */
  readonly keyFile: string;
  readonly certFile: string;
  /** Whether this start generated them. */
  readonly generated: boolean;
}

/** The folder, inside the data dir, of the generated self-signed certificate. */
export const GENERATED_TLS_DIR = 'pg-tls';

/**
 * The TLS material: the configured files when both are given, else a self-signed certificate (ECDSA P-256,
 * SHA-256, 10 years, CN and SAN `localhost`, `127.0.0.1`, `::1`) generated into `<dataDir>/pg-tls/` on the
 * first start and reused after; the key file has mode 0600 (re-tightened if widened).
 * @throws InfrabaseError `INVALID_ARGUMENT` when only one of the files is configured or one cannot be read.
 */
export async function loadTlsMaterial(
  dataDir: string,
  configured: { certFile?: string; keyFile?: string },
): Promise<TlsMaterial> {
  if (configured.certFile || configured.keyFile) {
    if (!configured.certFile || !configured.keyFile) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        'postgres.tls needs both certFile and keyFile (PEM), or neither for a generated self-signed certificate',
      );
    }
    return { ...readPair(configured.certFile, configured.keyFile), generated: false };
  }
  const dir = join(dataDir, GENERATED_TLS_DIR);
  const certFile = join(dir, 'server.crt');
  const keyFile = join(dir, 'server.key');
  if (existsSync(certFile) && existsSync(keyFile)) {
    if ((statSync(keyFile).mode & 0o077) !== 0) chmodSync(keyFile, 0o600);
    return { ...readPair(certFile, keyFile), generated: false };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const notBeforeDate = new Date();
  const notAfterDate = new Date(notBeforeDate.getTime() + 10 * 365 * 86_400_000);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  writeFileSync(keyFile, pems.private, { mode: 0o600 });
  writeFileSync(certFile, pems.cert, { mode: 0o644 });
  return { key: Buffer.from(pems.private), cert: Buffer.from(pems.cert), keyFile, certFile, generated: true };
}

function readPair(certFile: string, keyFile: string): Omit<TlsMaterial, 'generated'> {
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `cannot read the Postgres TLS ${what} ${path}: ${(err as Error).message}`,
      );
    }
  };
  return { cert: read(certFile, 'certificate'), key: read(keyFile, 'key'), certFile, keyFile };
}
