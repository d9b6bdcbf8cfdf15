import type { Job } from 'bullmq';
import type { AppContext } from '../app-context.js';
import { lockJob } from '../jobs/jobs.repository.js';
import type { Logger } from '../logging/logger.js';
import type { JobPayloads } from '../queues/queues.js';
import { processRescoreChunk } from './rescore.chunk.js';
import { failChunk, processRescorePlan } from './rescore.planner.js';
import { endParentEarly } from './rescore.parent.js';
import { emitJobFinished } from '../webhooks/webhook-events.js';
import { runScheduledRescore } from './rescore.schedule.js';
import { observeJobWait } from '../metrics/job-wait.js';

type RescoreJob = Job<JobPayloads['rescore']>;

/** One worker for the `rescore` queue: a payload with `chunkId` is a chunk, `scheduled` a nightly tick, else the planner. */
export async function processRescore(ctx: AppContext, jobId: string, log: Logger, job: RescoreJob): Promise<unknown> {
  if (job.data.scheduled) return runScheduledRescore(ctx, job.id ?? 'unknown', log);
  if (job.data.chunkId !== undefined) return processRescoreChunk(ctx, jobId, job.data.chunkId, log.child({ chunkId: job.data.chunkId }));
  await processRescorePlan(ctx, jobId, log);
  return null;
}

/**
 * After the last retry: a chunk is recorded as failed and the parent goes on; a failed planner
 * fails the parent and cancels the chunks it had not started.
 */
export async function rescoreFinalFailure(ctx: AppContext, job: RescoreJob, err: Error, log: Logger): Promise<void> {
  const error = { message: err.message, attempts: job.attemptsMade + 1 };
  if (job.data.scheduled) return;
  if (job.data.chunkId !== undefined) {
    await failChunk(ctx, job.data.jobId, job.data.chunkId, error);
    log.warn({ chunkId: job.data.chunkId }, 're-score chunk failed for good; counted in the parent result');
    return;
  }
  const finished = await ctx.db.transaction().execute(async (trx) => {
    const parent = await lockJob(trx, job.data.jobId);
    if (!parent || (parent.state !== 'queued' && parent.state !== 'active')) return undefined;
    const ended = await endParentEarly(trx, parent, 'failed', error);
    await emitJobFinished(trx, parent.id);
    return ended.finished;
  });
  observeJobWait(ctx.metrics, finished);
}
