import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allQueues, closeQueues, createQueues, enqueue, jobQueue, shardFor } from '../../src/queues/queues.js';
import { shardIndex } from '../../src/queues/shards.js';
import { deleteQueueKeys } from '../helpers/test-app.js';
import { TEST_REDIS_URL, uniqueName } from '../helpers/services.js';

// Every queue name of a release before sharding: shard 0 keeps ingest and night.
const UNSHARDED = ['ingest', 'night', 'predict', 'rescore', 'erase', 'retention', 'webhook'];
const layout = (queues: ReturnType<typeof createQueues>) => allQueues(queues).map((q) => `${q.opts.prefix}:${q.name}`);

describe('queue layout', () => {
  let redis: Redis;
  const prefix = uniqueName('ql');
  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    await deleteQueueKeys(prefix);
    await redis.quit();
  });

  it('with one shard is the layout of earlier releases: every queue under {QUEUE_PREFIX}', async () => {
    const queues = createQueues(redis, prefix, 1);
    try {
      expect(layout(queues).sort()).toEqual(UNSHARDED.map((name) => `{${prefix}}:${name}`).sort());
      await enqueue(queues, 'ingest', 'job-a', 'any-recording');
      // The same Redis key an unsharded release wrote for this job.
      expect(await redis.exists(`{${prefix}}:ingest:job-a`)).toBe(1);
    } finally {
      await closeQueues(queues);
    }
  });

  it('with three shards puts a recording\'s ingest jobs and scorings on its own shard', async () => {
    const queues = createQueues(redis, prefix, 3);
    try {
      expect(layout(queues).sort()).toEqual(
        [...UNSHARDED.map((name) => `{${prefix}}:${name}`), `{${prefix}:1}:ingest-1`, `{${prefix}:1}:night-1`, `{${prefix}:2}:ingest-2`, `{${prefix}:2}:night-2`].sort(),
      );
      for (const recordingId of ['r-1', 'r-2', 'r-3', 'r-4', 'r-5', 'r-6']) {
        const shard = shardFor(queues, recordingId);
        expect(shard.index).toBe(shardIndex(recordingId, 3));
        expect(jobQueue(queues, 'ingest', recordingId)).toBe(shard.ingest);
      }
      expect(jobQueue(queues, 'predict', null)).toBe(queues.predict);
      expect(() => jobQueue(queues, 'ingest', null)).toThrow('an ingest job names its recording');
    } finally {
      await closeQueues(queues);
    }
  });
});
