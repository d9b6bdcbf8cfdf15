// zlib.crc32 needs Node 22.2 or later (.nvmrc: 24).
import { crc32 } from 'node:zlib';

/**
 * Queue sharding (QUEUE_SHARDS). Each shard's keys carry their own hash tag, so on a Redis Cluster
 * the shards' slots can sit on different masters. Shard 0 keeps the prefix `{QUEUE_PREFIX}` and the
 * plain queue names, so QUEUE_SHARDS=1 is exactly the layout of a deployment from before sharding
 * (nothing to migrate). Other shards use `{QUEUE_PREFIX:i}`: QUEUE_PREFIX cannot contain ":", so
 * no other deployment's prefix can collide with a shard's.
 */
export function shardPrefix(queuePrefix: string, shard: number): string {
  return shard === 0 ? deploymentTag(queuePrefix) : `{${queuePrefix}:${shard}}`;
}

/**
 * `{QUEUE_PREFIX}`: the Redis Cluster hash tag that starts every key of this deployment outside the
 * queue shards (unsharded queues, rate limits, model reloads), so each multi-key script or
 * transaction stays in one slot.
 */
export function deploymentTag(queuePrefix: string): string {
  return `{${queuePrefix}}`;
}

/** Distinct names across shards, so Bull Board and the metrics' `queue` label tell them apart. */
export function shardQueueName(kind: string, shard: number): string {
  return shard === 0 ? kind : `${kind}-${shard}`;
}

/**
 * The shard of a recording: CRC-32 of its id modulo the shard count, the same in every process and
 * release, so all of a recording's ingest jobs and scorings meet on one shard.
 */
export function shardIndex(recordingId: string, shards: number): number {
  return shards <= 1 ? 0 : crc32(recordingId) % shards;
}
