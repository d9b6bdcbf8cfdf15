import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisTarget } from '../config/redis-config.js';

/** A client of whichever Redis the configuration names; both kinds run the same commands. */
export type RedisClient = Redis | Cluster;

/**
 * What a connection is for:
 * - `command`: requests, queue producers, readiness. Fails fast instead of buffering while Redis is
 *   away: ingest has already made its data durable and the sweeper re-enqueues.
 * - `blocking`: a BullMQ worker's connection. BullMQ requires `maxRetriesPerRequest: null`, and a
 *   worker must wait out an outage or a failover, not fail its loop.
 * - `subscriber`: model-reload broadcasts; waits out outages and resubscribes.
 */
export type ConnectionRole = 'command' | 'blocking' | 'subscriber';

const ROLE_OPTIONS: Record<ConnectionRole, RedisOptions> = {
  command: { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true },
  blocking: { enableOfflineQueue: true, maxRetriesPerRequest: null },
  subscriber: { enableOfflineQueue: true, maxRetriesPerRequest: null },
};

/** The one place Noctis builds Redis connections, for every mode and role. */
export function createRedisClient(target: RedisTarget, role: ConnectionRole): RedisClient {
  const options = ROLE_OPTIONS[role];
  const password = target.password === undefined ? {} : { password: target.password };
  switch (target.mode) {
    case 'single':
      return new Redis(target.url, { ...options, ...password });
    case 'sentinel':
      // failoverDetector: the client also listens for the sentinels' +switch-master and moves to the
      // new primary at once, instead of only when its old connection breaks.
      return new Redis({ sentinels: target.sentinels.map((s) => ({ ...s })), name: target.master, failoverDetector: true, ...options, ...password });
    case 'cluster': {
      const { enableOfflineQueue, lazyConnect, ...perNode } = options;
      return new Cluster(
        target.nodes.map((n) => ({ ...n })),
        {
          ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
          ...(lazyConnect === undefined ? {} : { lazyConnect }),
          redisOptions: { ...perNode, ...password },
          // Subscribers use sharded pub/sub (see pubsub.ts): one connection per master that owns a
          // subscribed channel's slot.
          shardedSubscribers: role === 'subscriber',
        },
      );
    }
  }
}

export const isCluster = (client: RedisClient): client is Cluster => client.isCluster;

/**
 * quit() on a ready connection; otherwise disconnect(): a QUIT sent to a connection that never
 * reached Redis (a wrong master name, a dead node) would wait in its offline queue forever.
 */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (client.status !== 'ready') return client.disconnect();
  await client.quit().catch(() => client.disconnect());
}
