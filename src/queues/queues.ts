import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';

/** One typed map of queue name → job payload, shared by producers and workers. */
export interface JobPayloads {
  ingest: { jobId: string };
  predict: { jobId: string };
}
export type QueueName = keyof JobPayloads;
export const QUEUE_NAMES: readonly QueueName[] = ['ingest', 'predict'];

export type Queues = { readonly [K in QueueName]: Queue<JobPayloads[K]> };

/**
 * BullMQ key prefix. The braces are a Redis Cluster hash tag: every key of a deployment lands in
 * one slot, which BullMQ's multi-key scripts require.
 */
export function bullPrefix(queuePrefix: string): string {
  return `{${queuePrefix}}`;
}

// Payloads are ids of rows that PostgreSQL already holds, so retries are cheap and a lost Redis
// only loses the reminder, never the data (the sweeper re-enqueues).
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export function createQueues(connection: Redis, queuePrefix: string): Queues {
  const prefix = bullPrefix(queuePrefix);
  const make = <K extends QueueName>(name: K) =>
    new Queue<JobPayloads[K]>(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  return { ingest: make('ingest'), predict: make('predict') };
}

export async function enqueue<K extends QueueName>(queues: Queues, name: K, jobId: string): Promise<void> {
  const queue = queues[name] as unknown as Queue<{ jobId: string }>;
  // jobId doubles as BullMQ's id: adding an id that is still queued is a no-op, which makes the
  // sweeper's re-enqueue safe.
  await queue.add(name, { jobId }, { jobId });
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(QUEUE_NAMES.map((name) => queues[name].close()));
}
