import { request } from 'node:http';
import { LoopbackServer, readBody } from '../fakes/http/index.js';

/**
 * An HTTP proxy on 127.0.0.1 in front of an AWS Query API endpoint (EC2 on moto's server): records the
 * `Action` of every request and can drop the reply of the next call of an action after the upstream has
 * answered it (the socket is cut), as a lost reply is seen by the client: the action took effect, no answer came.
 */
export class RecordingProxy {
  /** The `Action` of every request, in order. */
  readonly actions: string[] = [];
  private readonly drops = new Map<string, number>();
  private readonly http: LoopbackServer;

  private constructor(private readonly upstream: URL) {
    this.http = new LoopbackServer((req, res) => {
      void (async () => {
        const body = await readBody(req);
        const action = new URLSearchParams(body).get('Action') ?? '';
        this.actions.push(action);
        const up = request(
          new URL(req.url ?? '/', this.upstream),
          { method: req.method, headers: { ...req.headers, host: this.upstream.host } },
          (answer) => {
            const left = this.drops.get(action) ?? 0;
            if (left > 0) {
              this.drops.set(action, left - 1);
              answer.resume();
              answer.once('end', () => req.socket.destroy());
              return;
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        up.once('error', () => req.socket.destroy());
        up.end(body);
      })();
    });
  }

  static async start(upstream: string): Promise<RecordingProxy> {
    const proxy = new RecordingProxy(new URL(upstream));
    await proxy.http.listen();
    return proxy;
  }

  /** `http://127.0.0.1:PORT`, for the SDK's `endpoint`. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.http.port}`;
  }

  /** Cuts the connection of the next `times` calls of `action` once the upstream has answered them. */
  dropNextReply(action: string, times = 1): void {
    this.drops.set(action, (this.drops.get(action) ?? 0) + times);
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
