import type { SlidingWindowStore, WindowLimit } from './sliding-window.js';
import { deploymentTag } from '../queues/shards.js';

export const MINUTE_MS = 60_000;

export type LimitName = 'key' | 'tenant';

export interface RateDecision {
  readonly allowed: boolean;
  readonly retryAfterSeconds: number;
  /** Which limit refused: the key's own, or its tenant's (every key of the tenant together). */
  readonly limit: LimitName | null;
  readonly limitPerMinute: number | null;
}

export interface RateLimits {
  readonly perKey: number;
  readonly perTenant: number;
}

/**
 * Requests per key and per tenant in any 60 seconds (a limit of 0 is off), counted in one store
 * shared by every API process. Key ids and tenant names are safe in key names (UUIDs and
 * `[a-z0-9_-]`); the `{prefix}` hash tag keeps every key in one Redis Cluster slot.
 */
export class RateLimiter {
  constructor(
    private readonly store: SlidingWindowStore,
    private readonly queuePrefix: string,
    private readonly limits: RateLimits,
    private readonly windowMs = MINUTE_MS,
  ) {}

  async consume(subject: { keyId: string | null; tenant: string }, now = Date.now()): Promise<RateDecision> {
    const wanted: Array<{ name: LimitName; window: WindowLimit }> = [];
    const tag = `${deploymentTag(this.queuePrefix)}:ratelimit`;
    if (this.limits.perKey > 0) wanted.push({ name: 'key', window: { key: `${tag}:key:${subject.keyId ?? 'admin-token'}`, limit: this.limits.perKey } });
    if (this.limits.perTenant > 0) wanted.push({ name: 'tenant', window: { key: `${tag}:tenant:${subject.tenant}`, limit: this.limits.perTenant } });
    if (wanted.length === 0) return { allowed: true, retryAfterSeconds: 0, limit: null, limitPerMinute: null };
    const decision = await this.store.consume(wanted.map((w) => w.window), this.windowMs, now);
    if (decision.allowed) return { allowed: true, retryAfterSeconds: 0, limit: null, limitPerMinute: null };
    const refused = wanted[decision.refusedBy ?? 0]!;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(decision.retryAfterMs / 1000)), limit: refused.name, limitPerMinute: refused.window.limit };
  }
}
