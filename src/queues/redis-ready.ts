import type { RedisClient } from '../redis/connections.js';

/**
 * Waits (bounded) for a lazily connecting client to be ready. BullMQ may already have started the
 * connection, so this never calls connect() on a client that is connecting.
 */
export async function waitForRedis(redis: RedisClient, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return true;
  if (redis.status === 'wait') redis.connect().catch(() => undefined);
  return new Promise((resolve) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    redis.once('ready', onReady);
  });
}
