import type { RedisClient } from './connections.js';
import { isCluster } from './connections.js';

/**
 * Pub/sub that means the same on one server, Sentinel and Cluster. On a Cluster, classic PUBLISH
 * reaches every node's subscribers but answers with the count of the node it reached only, and
 * reload broadcasts wait for as many acknowledgements as that count. So on a Cluster broadcasts use
 * sharded pub/sub (SPUBLISH/SSUBSCRIBE, Redis 7): callers' channels carry the deployment's hash
 * tag, every subscriber sits on the master owning that slot, and SPUBLISH goes there too, so its
 * count is every subscriber.
 */
export async function publish(client: RedisClient, channel: string, message: string): Promise<number> {
  // SPUBLISH's reply is typed loosely by ioredis; it is the receiver count.
  return isCluster(client) ? Number(await client.spublish(channel, message)) : client.publish(channel, message);
}

/** Subscribes `subscriber` (a connection of role `subscriber`) to channels that share one hash tag. */
export async function subscribe(subscriber: RedisClient, channels: readonly string[], onMessage: (channel: string, message: string) => void): Promise<void> {
  if (isCluster(subscriber)) {
    subscriber.on('smessage', onMessage);
    await subscriber.ssubscribe(...channels);
  } else {
    subscriber.on('message', onMessage);
    await subscriber.subscribe(...channels);
  }
}
