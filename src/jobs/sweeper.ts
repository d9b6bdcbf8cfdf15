import type { AppContext } from '../app-context.js';
import { enqueue, QUEUE_NAMES, type QueueName } from '../queues/queues.js';
import { deleteFinishedBefore, findStaleUnfinished, finishJob, touchJobs } from './jobs.repository.js';

/**
 * Closes the gap between PostgreSQL (the truth about jobs) and Redis (the reminder): unfinished
 * jobs nobody touched for a while are enqueued again under the same id (a no-op when BullMQ still
 * has them), and finished jobs past retention are deleted.
 */
export class Sweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly ctx: AppContext) {}

  start(): void {
    if (this.timer) return;
    const every = this.ctx.config.SWEEP_INTERVAL_SECONDS * 1000;
    this.timer = setInterval(() => void this.sweepOnce().catch((err: unknown) => this.ctx.logger.warn({ err }, 'sweep failed')), every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One pass; concurrent calls share the pass in flight. */
  sweepOnce(): Promise<void> {
    this.running ??= this.sweep().finally(() => (this.running = null));
    return this.running;
  }

  private async sweep(): Promise<void> {
    const { db, queues, config, logger } = this.ctx;
    const stale = await findStaleUnfinished(db, config.SWEEP_STALE_SECONDS, 500);
    const touched: string[] = [];
    for (const job of stale) {
      if (!(QUEUE_NAMES as readonly string[]).includes(job.type)) continue;
      const name = job.type as QueueName;
      const existing = await queues[name].getJob(job.id);
      if (existing && (await existing.isFailed())) {
        await finishJob(db, job.id, 'failed', { error: { message: existing.failedReason, attempts: existing.attemptsMade } });
        continue;
      }
      if (!existing) logger.warn({ jobId: job.id, queue: name }, 're-enqueueing a job Redis no longer has');
      await enqueue(queues, name, job.id);
      touched.push(job.id);
    }
    await touchJobs(db, touched);
    const deleted = await deleteFinishedBefore(db, config.JOB_RETENTION_HOURS);
    if (deleted > 0) logger.info({ deleted }, 'deleted finished jobs past retention');
  }
}
