import type { Redis } from 'ioredis';

export interface RateDecision {
  readonly allowed: boolean;
  readonly remaining: number;
  readonly retryAfterSeconds: number;
}

/**
 * Fixed one-minute windows counted in Redis, so the limit holds across every API process. When
 * Redis cannot answer the request is let through: availability over strictness for a cap.
 */
export class RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly queuePrefix: string,
    private readonly perMinute: number,
  ) {}

  async consume(subject: string, now = Date.now()): Promise<RateDecision> {
    if (this.perMinute <= 0) return { allowed: true, remaining: Infinity, retryAfterSeconds: 0 };
    const window = Math.floor(now / 60_000);
    const key = `{${this.queuePrefix}}:ratelimit:${subject}:${window}`;
    try {
      const result = await this.redis.multi().incr(key).pexpire(key, 61_000).exec();
      const count = Number(result?.[0]?.[1] ?? 0);
      const retryAfterSeconds = Math.max(1, Math.ceil(((window + 1) * 60_000 - now) / 1000));
      return { allowed: count <= this.perMinute, remaining: Math.max(0, this.perMinute - count), retryAfterSeconds };
    } catch {
      return { allowed: true, remaining: this.perMinute, retryAfterSeconds: 0 };
    }
  }
}
