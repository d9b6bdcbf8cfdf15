import type { Queue, Worker } from 'bullmq';
import type { AppContext } from '../app-context.js';
import type { JobPayloads, QueueName } from '../queues/queues.js';
import { createQueueWorker, type FinalFailureHandler, type Processor } from '../queues/worker-factory.js';
import { observeJobWait } from '../metrics/job-wait.js';
import { finishJob } from './jobs.repository.js';

/** The usual end of a job that cannot succeed: its PostgreSQL row says failed, with the reason. */
export const markJobFailed = async (ctx: AppContext, job: { attemptsMade: number }, err: Error, _log: unknown, jobId: string): Promise<void> => {
  observeJobWait(ctx.metrics, await finishJob(ctx.db, jobId, 'failed', { error: { message: err.message, attempts: job.attemptsMade + 1 } }));
};

/** A queue worker whose final failures mark the PostgreSQL job failed unless `onFinalFailure` says otherwise. */
export function createWorker<K extends QueueName>(ctx: AppContext, kind: K, queue: Queue<JobPayloads[K]>, processor: Processor<K>, concurrency: number, options: { onFinalFailure?: FinalFailureHandler<K> } = {}): Worker<JobPayloads[K]> {
  return createQueueWorker(ctx, kind, queue, processor, concurrency, { onFinalFailure: options.onFinalFailure ?? markJobFailed });
}
