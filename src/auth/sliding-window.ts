import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../redis/connections.js';

/** One limit to check: at most `limit` entries in any window of `windowMs` under `key`. */
export interface WindowLimit {
  readonly key: string;
  readonly limit: number;
}

export interface WindowDecision {
  readonly allowed: boolean;
  /** When refused: how long until one more entry fits under every refusing limit. */
  readonly retryAfterMs: number;
  /** When refused: the index (in the request) of the limit that refused first. */
  readonly refusedBy: number | null;
  /** The entry recorded when allowed (release() takes it back). */
  readonly member: string | null;
}

export interface SlidingWindowStore {
  consume(limits: readonly WindowLimit[], windowMs: number, now: number): Promise<WindowDecision>;
  release(key: string, member: string): Promise<void>;
}

/**
 * A sliding log: every allowed entry is a sorted-set member scored by its time, so "at most N in
 * any 60 seconds" holds exactly, with no 2x burst at the edge of a clock minute as fixed windows
 * allow. Refused attempts are not recorded (a client hammering a limit does not extend its own
 * block), so a set never holds more than `limit` members. Every limit of one call is checked
 * before any is recorded: a request refused by its tenant's limit does not use up its key's.
 * One script, so concurrent API processes cannot both take the last slot.
 *
 * KEYS: the sets; ARGV: now (ms), window (ms), member, then one limit per key.
 */
const SCRIPT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local member = ARGV[3]
local wait = 0
local refused = -1
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[3 + i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count >= limit then
    local oldest = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    local until_free = tonumber(oldest[2]) + window - now
    if until_free < 1 then until_free = 1 end
    if until_free > wait then wait = until_free end
    if refused < 0 then refused = i - 1 end
  end
end
if refused >= 0 then return {0, wait, refused} end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, window)
end
return {1, 0, -1}
`;

// Members must be unique per request: two requests in the same millisecond are two entries.
const PROCESS_TAG = randomBytes(6).toString('base64url');
let sequence = 0;
export const newMember = (now: number): string => `${now}:${PROCESS_TAG}:${(sequence = (sequence + 1) % 1e9)}`;

/**
 * The Redis store. Times come from the calling process (API hosts keep NTP time; a skew of a few
 * milliseconds moves an entry's expiry by as much), which also lets tests place requests exactly.
 */
export class RedisSlidingWindow implements SlidingWindowStore {
  constructor(private readonly redis: RedisClient) {
    if (!('slidingWindow' in redis)) redis.defineCommand('slidingWindow', { lua: SCRIPT });
  }

  async consume(limits: readonly WindowLimit[], windowMs: number, now: number): Promise<WindowDecision> {
    const member = newMember(now);
    const run = (this.redis as unknown as { slidingWindow: (n: number, ...args: Array<string | number>) => Promise<[number, number, number]> }).slidingWindow;
    const [allowed, wait, refused] = await run.call(this.redis, limits.length, ...limits.map((l) => l.key), now, windowMs, member, ...limits.map((l) => l.limit));
    return allowed === 1 ? { allowed: true, retryAfterMs: 0, refusedBy: null, member } : { allowed: false, retryAfterMs: wait, refusedBy: refused, member: null };
  }

  async release(key: string, member: string): Promise<void> {
    await this.redis.zrem(key, member);
  }
}
