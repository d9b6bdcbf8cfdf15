import type { AppContext } from '../app-context.js';
import { deleteAuditBefore } from '../audit/audit.repository.js';
import { enqueueNightScoring } from '../night-scoring/night-scoring.queue.js';
import { currentGeneration } from '../night-scoring/night-scoring.repository.js';
import { observeJobWait } from '../metrics/job-wait.js';
import { enqueue, jobQueue, type QueueName } from '../queues/queues.js';
import { claimStaleUnfinished, deleteFinishedBefore, finishJob } from './jobs.repository.js';
import { PeriodicTask } from './periodic-task.js';

/** Queues whose entries stand for a row of `jobs` (a night scoring stands for a recording). */
const JOB_QUEUES = ['ingest', 'predict', 'rescore', 'erase'] as const satisfies readonly QueueName[];
type JobQueueName = (typeof JOB_QUEUES)[number];

/**
 * Closes the gap between PostgreSQL (the truth about jobs) and Redis (the reminder): unfinished
 * jobs nobody touched for a while are enqueued again under the same id (a no-op when BullMQ still
 * has them), and finished jobs past retention are deleted.
 */
export class Sweeper {
  private readonly task: PeriodicTask<void>;

  constructor(private readonly ctx: AppContext) {
    this.task = new PeriodicTask('sweep', ctx.config.SWEEP_INTERVAL_SECONDS * 1000, () => this.sweep(), ctx.logger);
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** One pass; concurrent calls share the pass in flight. */
  sweepOnce(): Promise<void> {
    return this.task.runOnce();
  }

  private async sweep(): Promise<void> {
    const { db, queues, config, logger } = this.ctx;
    // Claimed: another worker's sweeper running now gets other jobs, or none.
    const stale = await claimStaleUnfinished(db, config.SWEEP_STALE_SECONDS, 500);
    const nights = new Set<string>();
    for (const job of stale) {
      // Stored, waiting for its night's scoring: it is the scoring request that Redis may have lost.
      if (job.awaits_scoring && job.recording_id !== null) {
        if (!nights.has(job.recording_id)) await enqueueNightScoring(queues, job.recording_id, await currentGeneration(db, job.recording_id), 0);
        nights.add(job.recording_id);
        continue;
      }
      if (!(JOB_QUEUES as readonly string[]).includes(job.type)) continue;
      const name = job.type as JobQueueName;
      const existing = await jobQueue(queues, name, job.recording_id).getJob(job.id);
      if (existing && (await existing.isFailed())) {
        observeJobWait(this.ctx.metrics, await finishJob(db, job.id, 'failed', { error: { message: existing.failedReason, attempts: existing.attemptsMade } }));
        continue;
      }
      if (!existing) logger.warn({ jobId: job.id, queue: name }, 're-enqueueing a job Redis no longer has');
      await enqueue(queues, name, job.id, job.recording_id);
    }
    const deleted = await deleteFinishedBefore(db, config.JOB_RETENTION_HOURS);
    if (deleted > 0) logger.info({ deleted }, 'deleted finished jobs past retention');
    const expired = await deleteAuditBefore(db, config.AUDIT_RETENTION_DAYS);
    if (expired > 0) logger.info({ deleted: expired }, 'deleted audit records past retention');
  }
}
