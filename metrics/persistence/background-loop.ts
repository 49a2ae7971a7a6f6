/**
 * Start/stop for one async loop that runs until its signal aborts, the `Service` shape the sampler and the
 * retention job share: `start` returns at once (a second call while running does nothing), `stop` aborts
 * the signal and resolves once the loop has returned.
 * @internal
 */
export class BackgroundLoop {
  private abort?: AbortController;
  private loop?: Promise<void>;

  constructor(private readonly body: (signal: AbortSignal) => Promise<void>) {}

  start(): void {
    if (this.loop) return;
    const abort = new AbortController();
    this.abort = abort;
    this.loop = this.body(abort.signal);
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    this.loop = undefined;
  }
}
