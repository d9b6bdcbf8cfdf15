import type { Logger } from '../logging/logger.js';

/**
 * A pass run every `everyMs` in the background (the timer does not keep the process alive). Passes
 * never overlap: a call while one is in flight shares it. A failed pass is logged; the next tick
 * tries again. `stop` waits for the pass in flight.
 */
export class PeriodicTask<T> {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<T> | null = null;

  constructor(
    private readonly what: string,
    private readonly everyMs: number,
    private readonly pass: () => Promise<T>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runOnce().catch((err: unknown) => this.logger.warn({ err }, `${this.what} failed`)), this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One pass; concurrent calls share the pass in flight. */
  runOnce(): Promise<T> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }
}
