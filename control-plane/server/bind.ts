import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InfrabaseError } from '../../engine/index.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * An HTTP server bound before the control plane opens anything on disk, so that a busy port fails the start
 * with nothing created. Until {@link BoundServer.serve} hands it the API's handler it answers every request
 * 503 UNAVAILABLE ("starting").
 */
export interface BoundServer {
  readonly server: Server;
  /** `http://host:port` as bound (the real port when 0 was asked for; loopback for a wildcard address). */
  readonly url: string;
  /** Routes every later request to `handler` (Fastify's, once the app is ready). */
  serve(handler: Handler): void;
  /** Closes the listener and every open connection; idempotent. */
  close(): Promise<void>;
}

/**
 * Binds `host:port` (0 picks a free port).
 * @throws InfrabaseError `UNAVAILABLE` when the address is in use or cannot be bound, naming it.
 */
export async function bindHttpServer(host: string, port: number): Promise<BoundServer> {
  let handler: Handler = (_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
    res.end(JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'the control plane is starting' } }));
  };
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new InfrabaseError(
          'UNAVAILABLE',
          err.code === 'EADDRINUSE'
            ? `cannot listen on ${host}:${port}: the port is in use (choose another with --port)`
            : `cannot listen on ${host}:${port}: ${err.message}`,
          { cause: err },
        ),
      );
    });
    server.listen({ host, port }, resolve);
  });
  const address = server.address() as AddressInfo;
  // A wildcard bind is reached on this machine through loopback (as Fastify's listen reported it).
  const reachable =
    address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  const shownHost = reachable.includes(':') ? `[${reachable}]` : reachable;
  let closed: Promise<void> | undefined;
  return {
    server,
    url: `http://${shownHost}:${address.port}`,
    serve(next) {
      handler = next;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
