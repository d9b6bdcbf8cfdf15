import type { Logger } from '../logging/logger.js';
import { MemorySlidingWindow } from './memory-window.js';
import type { SlidingWindowStore, WindowDecision, WindowLimit } from './sliding-window.js';

/**
 * A Redis answer slower than this counts as no answer. A Redis that is down fails at once (the
 * client queues nothing offline); this only bounds a hung one. Generous, because under a flood
 * this process's own event loop is slow to read answers that Redis sent in time, and falling back
 * then would count the same minute twice.
 */
const REDIS_DEADLINE_MS = 2000;

const within = <T>(ms: number, work: Promise<T>): Promise<T> =>
  Promise.race([work, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);

/**
 * Redis first; while Redis cannot answer, the same limits counted in this process. Neither open
 * nor closed: a Redis outage must not stop the API (ingest keeps accepting durable work), nor
 * lift every limit while it lasts; each process then enforces the limits on its own traffic.
 */
export class FallbackWindow implements SlidingWindowStore {
  private readonly local = new MemorySlidingWindow();
  private degraded = false;

  constructor(
    private readonly primary: SlidingWindowStore,
    private readonly logger: Logger,
  ) {}

  async consume(limits: readonly WindowLimit[], windowMs: number, now: number): Promise<WindowDecision> {
    try {
      const decision = await within(REDIS_DEADLINE_MS, this.primary.consume(limits, windowMs, now));
      if (this.degraded) this.logger.info('rate limits are counted in Redis again');
      this.degraded = false;
      return decision;
    } catch (err) {
      if (!this.degraded) this.logger.warn({ err }, 'Redis cannot count rate limits; counting them in this process until it can');
      this.degraded = true;
      return this.local.consume(limits, windowMs, now);
    }
  }

  async release(key: string, member: string): Promise<void> {
    await Promise.all([this.primary.release(key, member).catch(() => undefined), this.local.release(key, member)]);
  }
}
