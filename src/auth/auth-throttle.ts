import { MINUTE_MS } from './rate-limiter.js';
import type { SlidingWindowStore } from './sliding-window.js';
import { deploymentTag } from '../queues/shards.js';

export type AuthTicket =
  /** release(): the check did not fail (a valid key, or no answer from the database), so it gives its slot back. */
  | { readonly allowed: true; release(): void }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

/**
 * Failed key checks per client address. A check takes a slot before it looks the key up and
 * gives it back when the key was valid, so a concurrent flood of random tokens gets at most
 * `perMinute` lookups through, not one per request that arrived before the first failure was
 * counted. A valid key holds its slot only for the lookup itself.
 */
export class AuthThrottle {
  constructor(
    private readonly store: SlidingWindowStore,
    private readonly queuePrefix: string,
    private readonly perMinute: number,
    private readonly windowMs = MINUTE_MS,
  ) {}

  async begin(address: string, now = Date.now()): Promise<AuthTicket> {
    if (this.perMinute <= 0) return { allowed: true, release: () => undefined };
    const key = `${deploymentTag(this.queuePrefix)}:authfail:${address}`;
    const decision = await this.store.consume([{ key, limit: this.perMinute }], this.windowMs, now);
    if (!decision.allowed) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(decision.retryAfterMs / 1000)) };
    const member = decision.member!;
    return {
      allowed: true,
      // Not awaited: a lost release only makes one address's budget one smaller for a minute.
      release: () => void this.store.release(key, member).catch(() => undefined),
    };
  }
}
