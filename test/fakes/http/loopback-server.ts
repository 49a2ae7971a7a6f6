import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP server on 127.0.0.1 at a free port, closed with every open connection cut. */
export class LoopbackServer {
  private readonly http: Server;

  constructor(handler: (req: IncomingMessage, res: ServerResponse) => void) {
    this.http = createServer(handler);
  }

  /** Starts listening on 127.0.0.1 at a port the system picks. */
  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
  }

  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  /** Cuts open connections (keep-alive sockets included) and resolves once the server has closed. */
  async close(): Promise<void> {
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}

/** The whole request body, as UTF-8 text. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
