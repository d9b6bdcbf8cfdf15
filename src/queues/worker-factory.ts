import { DelayedError, UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import { isDatabaseUnavailable } from '../db/connection-errors.js';
import type { AppContext } from '../app-context.js';
import { PermanentError } from '../errors/permanent-error.js';
import type { Logger } from '../logging/logger.js';
import { closeRedis, createRedisClient } from '../redis/connections.js';
import { inJobSpan } from '../tracing/job-span.js';
import { markFailed } from '../tracing/spans.js';
import type { JobPayloads, QueueName } from './queues.js';

/** Records a job's final failure (retries exhausted, or a permanent error) where its state lives. */
export type FinalFailureHandler<K extends QueueName> = (ctx: AppContext, job: Job<JobPayloads[K]>, err: Error, log: Logger, jobId: string) => Promise<void>;

export interface WorkerOptions<K extends QueueName> {
  readonly onFinalFailure: FinalFailureHandler<K>;
}

/** While PostgreSQL is unreachable a job waits this long and tries again without using an attempt. */
export const OUTAGE_RETRY_MS = 5000;

/** `jobId` is the PostgreSQL job the queue entry stands for (the queue id for night scorings). */
export type Processor<K extends QueueName> = (ctx: AppContext, jobId: string, log: Logger, job: Job<JobPayloads[K]>, token: string | undefined) => Promise<unknown>;

/**
 * A BullMQ worker whose job state lives elsewhere (PostgreSQL): the processor writes results, and
 * this wrapper hands the final failure, once retries are exhausted or the error is permanent, to
 * the feature's handler. Database outages postpone a job without spending an attempt.
 */
export function createQueueWorker<K extends QueueName>(ctx: AppContext, kind: K, queue: Queue<JobPayloads[K]>, processor: Processor<K>, concurrency: number, options: WorkerOptions<K>): Worker<JobPayloads[K]> {
  // The worker consumes the queue it is given: same name, same prefix (a shard's hash tag).
  const name = queue.name;
  // Blocking commands need their own connection, which must wait out Redis outages, not fail.
  const connection = createRedisClient(ctx.config.REDIS, 'blocking');
  connection.on('error', (err) => ctx.logger.debug({ err, queue: name }, 'worker redis error'));
  const worker = new Worker<JobPayloads[K]>(
    name,
    async (job, token) => {
      const jobId = 'jobId' in job.data ? job.data.jobId : (job.id ?? 'unknown');
      return inJobSpan(kind, name, jobId, job, async (span) => {
        const log = ctx.logger.child({ queue: name, jobId, attempt: job.attemptsMade + 1 });
        const timer = ctx.metrics.jobDuration.startTimer({ queue: name });
        const outcome = (value: 'completed' | 'postponed' | 'failed') => {
          timer({ outcome: value });
          span.setAttribute('noctis.job.outcome', value);
        };
        try {
          const result = await processor(ctx, jobId, log, job, token);
          outcome('completed');
          log.info('job completed');
          return result;
        } catch (thrown) {
          // A permanent failure (stored data the model cannot read, say) will not get better by retrying.
          const err = thrown instanceof PermanentError ? new UnrecoverableError(thrown.message) : thrown;
          // The processor postponed itself (moveToDelayed): not an attempt, not a failure.
          if (err instanceof DelayedError) {
            outcome('postponed');
            throw err;
          }
          // An outage is not the job's fault: postpone it without spending an attempt, so a long
          // outage cannot exhaust the retries of work whose data is safe in PostgreSQL.
          if (isDatabaseUnavailable(err) && token !== undefined) {
            outcome('postponed');
            log.warn({ err }, 'database unavailable; postponing the job');
            await job.moveToDelayed(Date.now() + OUTAGE_RETRY_MS, token);
            throw new DelayedError();
          }
          outcome('failed');
          markFailed(span, err);
          const final = err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
          log.warn({ err, final }, 'job attempt failed');
          if (final) {
            await options.onFinalFailure(ctx, job, err as Error, log, jobId).catch((hookErr: unknown) => log.error({ err: hookErr }, 'could not record the failure; the sweeper will see the job again'));
          }
          throw err;
        }
      });
    },
    {
      connection,
      prefix: queue.opts.prefix!,
      concurrency,
      // A killed worker's jobs come back after the lock expires; processors yield between batches
      // so a live worker always renews its lock in time.
      lockDuration: ctx.config.JOB_LOCK_SECONDS * 1000,
      stalledInterval: ctx.config.JOB_LOCK_SECONDS * 1000,
    },
  );
  worker.on('error', (err) => ctx.logger.warn({ err, queue: name }, 'worker error'));
  // BullMQ leaves a connection it was handed open; this one belongs to the worker alone.
  const close = worker.close.bind(worker);
  worker.close = async (force?: boolean) => {
    // A worker whose connection never reached Redis (a wrong Sentinel master name, a dead node)
    // would wait for it in close(); it has no job in hand, so it drops the connection and closes
    // without waiting.
    const unreached = connection.status !== 'ready';
    if (unreached) connection.disconnect();
    await close(force || unreached);
    await closeRedis(connection);
  };
  return worker;
}
