import type { Redis } from 'ioredis';

/**
 * Every Redis key of the queue prefix `queuePrefix` (its `{prefix}:*` keys and its shards'
 * `{prefix:i}:*`) whose name or value contains one of `needles`, with the needles found: what an
 * erase must leave nothing of. Values are read by type (strings, hashes, lists, sets, sorted sets,
 * streams), so a key kind added later is still read.
 */
export async function redisKeysMentioning(redis: Redis, queuePrefix: string, needles: readonly string[]): Promise<Record<string, string[]>> {
  const found: Record<string, string[]> = {};
  for (const pattern of [`{${queuePrefix}}:*`, `{${queuePrefix}:*}:*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        const text = `${key} ${await valueText(redis, key)}`;
        const hits = needles.filter((n) => text.includes(n));
        if (hits.length > 0) found[key] = hits;
      }
    } while (cursor !== '0');
  }
  return found;
}

async function valueText(redis: Redis, key: string): Promise<string> {
  switch (await redis.type(key)) {
    case 'string':
      return (await redis.get(key)) ?? '';
    case 'hash':
      return JSON.stringify(await redis.hgetall(key));
    case 'list':
      return JSON.stringify(await redis.lrange(key, 0, -1));
    case 'set':
      return JSON.stringify(await redis.smembers(key));
    case 'zset':
      return JSON.stringify(await redis.zrange(key, '0', '-1'));
    case 'stream':
      return JSON.stringify(await redis.xrange(key, '-', '+'));
    default:
      return '';
  }
}
