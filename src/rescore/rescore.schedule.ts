import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { AppContext } from '../app-context.js';
import { SCHEDULE_ACTOR } from '../audit/audit.repository.js';
import { DEFAULT_TENANT } from '../auth/scopes.js';
import type { Logger } from '../logging/logger.js';
import type { RescoreParams } from './rescore.repository.js';
import { createRescoreJob, RESCORE_JOB_TYPE } from './rescore.service.js';

export const RESCORE_SCHEDULER_ID = 'rescore-nightly';

/**
 * Makes the BullMQ job scheduler match RESCORE_CRON (evaluated in UTC): upserted when set, removed
 * when unset. Every worker does this at start; upserting the same scheduler id is idempotent.
 */
export async function syncRescoreSchedule(ctx: AppContext): Promise<void> {
  const queue = ctx.queues.rescore;
  const cron = ctx.config.RESCORE_CRON;
  if (cron === undefined) {
    await queue.removeJobScheduler(RESCORE_SCHEDULER_ID);
    return;
  }
  await queue.upsertJobScheduler(RESCORE_SCHEDULER_ID, { pattern: cron, tz: 'UTC' }, { name: 'schedule', data: { jobId: RESCORE_SCHEDULER_ID, scheduled: true } });
  ctx.logger.info({ cron }, 'nightly re-score scheduled');
}

/** A stable UUID for one scheduler tick, so a retried tick creates the same parent job, not a second. */
export function tickJobId(tickId: string): string {
  const h = createHash('sha256').update(`rescore-tick:${tickId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * One tick: re-score with the active version whatever it has not scored yet (`only_missing`),
 * unless the previous scheduled re-score is still running.
 */
export async function runScheduledRescore(ctx: AppContext, tickId: string, log: Logger): Promise<{ job_id: string | null }> {
  const model = ctx.registry.requireActive();
  const running = await ctx.db
    .selectFrom('jobs')
    .select('id')
    .where('type', '=', RESCORE_JOB_TYPE)
    .where('state', 'in', ['queued', 'active'])
    .where(sql<boolean>`params->>'trigger' = 'schedule'`)
    .executeTakeFirst();
  const jobId = tickJobId(tickId);
  if (running && running.id !== jobId) {
    log.info({ running: running.id }, 'previous scheduled re-score still running; skipping this tick');
    return { job_id: null };
  }
  const params: RescoreParams = {
    model_version: model.version,
    recording_ids: null,
    device_id: null,
    from: null,
    to: null,
    only_missing: true,
    chunk_epochs: ctx.config.RESCORE_CHUNK_EPOCHS,
    trigger: 'schedule',
  };
  await createRescoreJob(ctx, jobId, params, DEFAULT_TENANT, SCHEDULE_ACTOR);
  log.info({ rescore_job_id: jobId, model_version: model.version }, 'scheduled re-score started');
  return { job_id: jobId };
}
