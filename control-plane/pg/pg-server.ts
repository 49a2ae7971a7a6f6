import { randomInt } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import {
  createScramSha256Data,
  type PostgresConnection,
  type ScramSha256Data,
  verifyScramSha256Password,
} from 'pg-gateway';
import { fromNodeSocket } from 'pg-gateway/node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { pgMetrics } from '../../metrics/index.js';
import { type ApiTokens, constantTimeEqual, type Scope } from '../auth/index.js';
import type { CatalogResponder } from './catalog/index.js';
import { PgSession, type StatementRunner } from './session.js';
import { SERVER_PARAMETERS } from './session-commands.js';
import { BackendMessages } from './wire.js';

export interface PgServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Users `admin` and `read` authenticate with these tokens as their passwords (SCRAM-SHA-256). */
  readonly tokens: ApiTokens;
  readonly runner: StatementRunner;
  readonly catalog: CatalogResponder;
  /** Key and certificate offered to clients that send SSLRequest; undefined offers no TLS. */
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer };
  /** Refuse connections that did not negotiate TLS (needs `tls`). */
  readonly requireTls: boolean;
  readonly logger?: Logger;
  /** Where to count connections and statements (`infrabase_pg_*`); omit for no metrics. */
  readonly registry?: Registry;
}

/** SCRAM iteration count, as Postgres' default `scram_iterations`. */
const SCRAM_ITERATIONS = 4096;
/** CancelRequest's request code (https://www.postgresql.org/docs/current/protocol-message-formats.html). */
const CANCEL_REQUEST_CODE = 80877102;

interface Backend {
  readonly secret: number;
  readonly session: PgSession;
}

/**
 * The Postgres wire protocol endpoint of the control plane. pg-gateway does the connection start-up: SSLRequest
 * and the TLS upgrade, the startup message, SCRAM-SHA-256 with the API tokens as passwords. Each authenticated
 * connection gets a {@link PgSession}; a CancelRequest quoting a session's key data cancels its statement.
 */
export class PgServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly backends = new Map<number, Backend>();
  private readonly metrics?: ReturnType<typeof pgMetrics>;
  private scram?: Record<Scope, ScramSha256Data>;
  private nextProcessId = 1;

  constructor(private readonly options: PgServerOptions) {
    if (options.requireTls && !options.tls) throw new Error('requireTls needs TLS material');
    if (options.registry) this.metrics = pgMetrics(options.registry);
    this.server = createServer((socket) => this.accept(socket));
  }

  /**
   * Listens on `host:port`.
   * @returns the address bound (port resolved when 0 was asked).
   */
  async listen(): Promise<{ host: string; port: number }> {
    this.scram = {
      admin: await createScramSha256Data(this.options.tokens.admin, SCRAM_ITERATIONS),
      read: await createScramSha256Data(this.options.tokens.read, SCRAM_ITERATIONS),
    };
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    const port = typeof address === 'object' && address ? address.port : this.options.port;
    return { host: this.options.host, port };
  }

  /** Stops listening and closes every connection, cancelling their statements. */
  async close(): Promise<void> {
    for (const backend of this.backends.values()) backend.session.cancel();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    this.metrics?.connections.inc();
    socket.setNoDelay(true);
    let processId: number | undefined;
    let authenticated = false;
    let refused = false;
    socket.on('error', (err) => this.options.logger?.debug({ err }, 'postgres connection error'));
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.metrics?.connections.dec();
      // A statement still running finishes (its result is dropped), as a write sent just before a disconnect
      // would over the HTTP API; only a CancelRequest or the time limit ends it early.
      if (processId !== undefined) this.backends.delete(processId);
      if (!authenticated && refused) this.metrics?.connectionsTotal.inc({ outcome: 'refused' });
    });

    const out = new BackendMessages();
    let connection: PostgresConnection | undefined;
    const scram = this.scram!;
    fromNodeSocket(socket, {
      tls: this.options.tls
        ? { key: toArrayBuffer(this.options.tls.key), cert: toArrayBuffer(this.options.tls.cert) }
        : undefined,
      auth: {
        method: 'scram-sha-256',
        // An unknown user gets data for no token at all, so the exchange runs to its end and fails.
        getScramSha256Data: ({ username }) => scram[username as Scope] ?? unknownUserScram,
        validateCredentials: async ({ authMessage, clientProof, username }) => {
          const data = scram[username as Scope];
          const ok =
            data !== undefined &&
            (username === 'admin' || username === 'read') &&
            (await verifyScramSha256Password({ authMessage, clientProof, storedKey: data.storedKey }));
          if (!ok) this.metrics?.connectionsTotal.inc({ outcome: 'auth_failed' });
          return ok;
        },
      },
      onAuthenticated: async (state) => {
        authenticated = true;
        this.metrics?.connectionsTotal.inc({ outcome: 'ok' });
        const scope: Scope = state.clientParams?.user === 'admin' ? 'admin' : 'read';
        const session = new PgSession({
          runner: this.options.runner,
          catalog: this.options.catalog,
          scope,
          onStatement: (seconds, outcome) => {
            this.metrics?.statements.inc({ outcome });
            this.metrics?.duration.observe(seconds);
          },
        });
        processId = this.nextProcessId++;
        const secret = randomInt(-(2 ** 31), 2 ** 31);
        this.backends.set(processId, { secret, session });
        const status = Object.entries(SERVER_PARAMETERS).map(([name, value]) =>
          out.parameterStatus(name, value),
        );
        await connection?.streamWriter?.write(
          Buffer.concat([...status, out.backendKeyData(processId, secret)]),
        );
      },
      onMessage: async (message, state) => {
        if (state.step === 'AwaitingInitialMessage') {
          // GSSAPI encryption is not offered: 'N' tells libpq to go on with SSLRequest or plaintext.
          if (isGssEncRequest(message)) return [Buffer.from('N')];
          if (isCancelRequest(message)) {
            this.cancel(message);
            await connection?.detach();
            socket.destroy();
            return undefined;
          }
          // pg-gateway refuses every plaintext start-up when TLS is configured; allow it unless required.
          if (!state.tlsInfo && !isSslRequest(message) && !isGssEncRequest(message)) {
            if (this.options.requireTls) refused = true;
            else if (connection) connection.options.tls = undefined;
          }
          return undefined;
        }
        if (state.step !== 'ReadyForQuery' || processId === undefined) return undefined;
        const backend = this.backends.get(processId);
        if (!backend) return undefined;
        const replies = await backend.session.handle(message);
        if (replies === undefined) return undefined;
        // pg-gateway handles a message itself unless the hook answers at least one chunk.
        return [replies.length === 1 ? replies[0] : Buffer.concat(replies)];
      },
    }).then(
      (c) => {
        connection = c;
      },
      (err) => {
        this.options.logger?.warn({ err }, 'postgres connection failed to start');
        socket.destroy();
      },
    );
  }

  /** Cancels the statement of the session a CancelRequest names, when its secret matches. */
  private cancel(message: Uint8Array): void {
    const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
    const processId = view.getInt32(8);
    const secret = view.getInt32(12);
    const backend = this.backends.get(processId);
    const expected = Buffer.alloc(4);
    const presented = Buffer.alloc(4);
    expected.writeInt32BE(backend?.secret ?? 0);
    presented.writeInt32BE(secret);
    if (backend && constantTimeEqual(expected.toString('hex'), presented.toString('hex'))) {
      this.options.logger?.info({ processId }, 'postgres statement cancelled by request');
      backend.session.cancel();
    }
  }
}

/** SCRAM data of a password no one holds, for unknown user names. */
const unknownUserScram: ScramSha256Data = {
  salt: Buffer.alloc(16).toString('base64'),
  iterations: SCRAM_ITERATIONS,
  storedKey: Buffer.alloc(32).toString('base64'),
  serverKey: Buffer.alloc(32).toString('base64'),
};

function isCancelRequest(m: Uint8Array): boolean {
  if (m.byteLength !== 16) return false;
  const view = new DataView(m.buffer, m.byteOffset, m.byteLength);
  return view.getInt32(0) === 16 && view.getInt32(4) === CANCEL_REQUEST_CODE;
}

function isGssEncRequest(m: Uint8Array): boolean {
  if (m.byteLength !== 8) return false;
  const view = new DataView(m.buffer, m.byteOffset, m.byteLength);
  return view.getInt16(4) === 1234 && view.getInt16(6) === 5680;
}

function isSslRequest(m: Uint8Array): boolean {
  if (m.byteLength !== 8) return false;
  const view = new DataView(m.buffer, m.byteOffset, m.byteLength);
  return view.getInt16(4) === 1234 && view.getInt16(6) === 5679;
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return new Uint8Array(b).buffer;
}
