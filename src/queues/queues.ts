import { Queue, type JobsOptions } from 'bullmq';
import type { RedisClient } from '../redis/connections.js';
import { shardIndex, shardPrefix, shardQueueName } from './shards.js';
import { publishSpan, type Traced } from '../tracing/job-context.js';

/** One typed map of queue name → job payload, shared by producers and workers. */
export interface JobPayloads {
  ingest: { jobId: string };
  predict: { jobId: string };
  rescore: RescorePayload;
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

/** The re-score queue carries three kinds of job, told apart by their fields (as stored in Redis). */
export type RescorePayload = RescorePlanPayload | RescoreChunkPayload | RescoreTickPayload;
/** Plan the parent re-score job `jobId`: choose recordings, write and queue chunks. */
export interface RescorePlanPayload {
  readonly jobId: string;
  readonly chunkId?: undefined;
  readonly scheduled?: undefined;
}
/** Score one chunk of the parent `jobId`. */
export interface RescoreChunkPayload {
  readonly jobId: string;
  readonly chunkId: string;
  readonly scheduled?: undefined;
}
/** The nightly tick of the re-score schedule; `jobId` names the scheduler, not a row of `jobs`. */
export interface RescoreTickPayload {
  readonly jobId: string;
  readonly chunkId?: undefined;
  readonly scheduled: true;
}
export const QUEUE_NAMES: readonly QueueName[] = ['ingest', 'predict', 'rescore', 'night', 'erase', 'retention', 'webhook'];

/** Every payload may also carry the W3C trace context it was queued in (tracing/job-context.ts). */
export type QueueData<K extends QueueName> = JobPayloads[K] & Traced;

/** The queues of one shard: a recording's ingest jobs and its night scorings go to the same one. */
export interface QueueShard {
  readonly index: number;
  readonly ingest: Queue<QueueData<'ingest'>>;
  readonly night: Queue<QueueData<'night'>>;
}

/** Only ingest and night scoring are sharded; the other queues live under `{QUEUE_PREFIX}`. */
export interface Queues {
  readonly predict: Queue<QueueData<'predict'>>;
  readonly rescore: Queue<QueueData<'rescore'>>;
  readonly erase: Queue<QueueData<'erase'>>;
  readonly retention: Queue<QueueData<'retention'>>;
  readonly webhook: Queue<QueueData<'webhook'>>;
  /** QUEUE_SHARDS of them; shard 0 has the names and prefix an unsharded deployment always had. */
  readonly shards: readonly QueueShard[];
}

/**
 * BullMQ key prefix of the unsharded queues and shard 0. The braces are a Redis Cluster hash tag:
 * every key of one queue lands in one slot, which BullMQ's multi-key scripts require.
 */
export function bullPrefix(queuePrefix: string): string {
  return shardPrefix(queuePrefix, 0);
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

export function createQueues(connection: RedisClient, queuePrefix: string, shardCount = 1): Queues {
  const make = <K extends QueueName>(kind: K, shard: number, defaultJobOptions = DEFAULT_JOB_OPTIONS) =>
    new Queue<QueueData<K>>(shardQueueName(kind, shard), { connection, prefix: shardPrefix(queuePrefix, shard), defaultJobOptions });
  const shards = Array.from({ length: shardCount }, (_, index) => ({ index, ingest: make('ingest', index), night: make('night', index, NIGHT_JOB_OPTIONS) }));
  return {
    predict: make('predict', 0),
    rescore: make('rescore', 0, RESCORE_JOB_OPTIONS),
    erase: make('erase', 0),
    retention: make('retention', 0, NIGHT_JOB_OPTIONS),
    webhook: make('webhook', 0, WEBHOOK_JOB_OPTIONS),
    shards,
  };
}

/** Every queue: workers, Bull Board, metrics and readiness cover them all. */
export function allQueues(queues: Queues): Array<Queue<JobPayloads[QueueName]>> {
  return [...queues.shards.flatMap((s) => [s.ingest, s.night]), queues.predict, queues.rescore, queues.erase, queues.retention, queues.webhook] as Array<Queue<JobPayloads[QueueName]>>;
}

/** The shard of a recording's ingest jobs and night scorings. */
export function shardFor(queues: Queues, recordingId: string): QueueShard {
  return queues.shards[shardIndex(recordingId, queues.shards.length)]!;
}

/** Queues whose entries stand for a row of `jobs` and carry its id. */
export type JobQueueKind = Exclude<QueueName, 'night' | 'retention' | 'webhook'>;

/** The queue of a job that stands for a `jobs` row; ingest jobs need their recording to find the shard. */
export function jobQueue(queues: Queues, kind: JobQueueKind, recordingId: string | null): Queue<{ jobId: string } & Traced> {
  if (kind !== 'ingest') return queues[kind] as unknown as Queue<{ jobId: string } & Traced>;
  if (recordingId === null) throw new Error('an ingest job names its recording');
  return shardFor(queues, recordingId).ingest;
}

export async function enqueue(queues: Queues, kind: JobQueueKind, jobId: string, recordingId: string | null = null): Promise<void> {
  // jobId doubles as BullMQ's id: adding an id that is still queued is a no-op, which makes the
  // sweeper's re-enqueue safe.
  const queue = jobQueue(queues, kind, recordingId);
  await publishSpan(kind, { 'noctis.job_id': jobId }, (traced) => queue.add(kind, { jobId, ...traced }, { jobId }), queue.name);
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(allQueues(queues).map((q) => q.close()));
}
