import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { publishSpan, type Traced } from '../tracing/job-context.js';

/** One typed map of queue name → job payload, shared by producers and workers. */
export interface JobPayloads {
  ingest: { jobId: string };
  predict: { jobId: string };
  /** `jobId` is the parent re-score job; with `chunkId` one chunk, without it the planner; `scheduled` a nightly tick. */
  rescore: { jobId: string; chunkId?: string; scheduled?: true };
  /** Score one recording's whole night with the active model; `generation` names the request. */
  night: { recordingId: string; generation: number };
  /** Erase a device or recording; the subject is in `erasures`, never in Redis. */
  erase: { jobId: string };
  /** A scheduled retention pass (plain PostgreSQL); stands for no row of `jobs`. */
  retention: { scheduled: true };
  /** Deliver one outbox event to one endpoint (ids: the event and the endpoint are in PostgreSQL). */
  webhook: { eventId: string; endpointId: string };
}
export type QueueName = keyof JobPayloads;
export const QUEUE_NAMES: readonly QueueName[] = ['ingest', 'predict', 'rescore', 'night', 'erase', 'retention', 'webhook'];

/** Every payload may also carry the W3C trace context it was queued in (tracing/job-context.ts). */
export type QueueData<K extends QueueName> = JobPayloads[K] & Traced;
export type Queues = { readonly [K in QueueName]: Queue<QueueData<K>> };

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

// Re-score chunks: fewer, quicker retries (a failing chunk is recorded and the parent goes on), and
// completed BullMQ jobs are dropped at once: PostgreSQL holds their outcome, and the sweeper's
// re-enqueue of a parent must reach the planner again rather than hit a kept completed job.
export const RESCORE_JOB_OPTIONS: JobsOptions = {
  attempts: 4,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: true,
  removeOnFail: { age: 24 * 3600, count: 10_000 },
};

// Night scorings: PostgreSQL's awaiting ingest jobs are the truth, so a finished scoring is dropped
// at once (its id, which names a request generation, is never reused) and the sweeper repairs a lost one.
export const NIGHT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: true,
  removeOnFail: { age: 24 * 3600, count: 10_000 },
};

// Webhook deliveries: attempts and backoff are set per job from configuration (the dispatcher);
// finished ones are dropped (webhook_attempts holds their story) after a while, so a re-dispatched
// event's id still finds the completed job and is not delivered twice.
export const WEBHOOK_JOB_OPTIONS: JobsOptions = {
  removeOnComplete: { age: 24 * 3600, count: 100_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 100_000 },
};

export function createQueues(connection: Redis, queuePrefix: string): Queues {
  const prefix = bullPrefix(queuePrefix);
  const make = <K extends QueueName>(name: K, defaultJobOptions = DEFAULT_JOB_OPTIONS) =>
    new Queue<QueueData<K>>(name, { connection, prefix, defaultJobOptions });
  return { ingest: make('ingest'), predict: make('predict'), rescore: make('rescore', RESCORE_JOB_OPTIONS), night: make('night', NIGHT_JOB_OPTIONS), erase: make('erase'), retention: make('retention', NIGHT_JOB_OPTIONS), webhook: make('webhook', WEBHOOK_JOB_OPTIONS) };
}

export async function enqueue<K extends Exclude<QueueName, 'night' | 'retention' | 'webhook'>>(queues: Queues, name: K, jobId: string): Promise<void> {
  const queue = queues[name] as unknown as Queue<{ jobId: string } & Traced>;
  // jobId doubles as BullMQ's id: adding an id that is still queued is a no-op, which makes the
  // sweeper's re-enqueue safe.
  await publishSpan(name, { 'noctis.job_id': jobId }, (traced) => queue.add(name, { jobId, ...traced }, { jobId }));
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(QUEUE_NAMES.map((name) => queues[name].close()));
}
