import { UnrecoverableError } from 'bullmq';
import type { AppContext } from '../app-context.js';
import { findJob, lockJob, markActive } from '../jobs/jobs.repository.js';
import type { Logger } from '../logging/logger.js';
import { resolveJobModel } from '../models/job-model.js';
import { recomputeParent, updateParent } from './rescore.parent.js';
import { advancePlan, countWithEpochs, insertChunks, nextRecordings, settleChunk, unfinishedChunks, type RescoreParams } from './rescore.repository.js';
import { RESCORE_JOB_TYPE } from './rescore.service.js';
import { rescoreCutoff, startsBefore } from '../retention/retention.policy.js';
import { yieldToLoop } from '../queues/yield.js';
import { publishSpan } from '../tracing/job-context.js';
import { observeJobWait } from '../metrics/job-wait.js';

/** Recordings per planning transaction: nights are ~1,000 epochs, so a page groups ~100k epochs. */
const RECORDING_PAGE = 100;

/**
 * The planning step of a re-score, and its repair: pages through the selected recordings by id,
 * writing chunk rows, the plan cursor and the skipped count in one transaction per page, then
 * enqueues that page's chunks. A rerun (crash, or the sweeper after a lost Redis) resumes at the
 * cursor and re-enqueues every unfinished chunk; queue ids are chunk ids, so nothing runs twice.
 */
export async function processRescorePlan(ctx: AppContext, jobId: string, log: Logger): Promise<void> {
  const job = await markActive(ctx.db, jobId);
  if (!job) {
    if (!(await findJob(ctx.db, jobId))) throw new UnrecoverableError(`job ${jobId} does not exist`);
    return;
  }
  if (job.type !== RESCORE_JOB_TYPE) throw new UnrecoverableError(`job ${jobId} is a ${job.type} job, not a rescore`);
  const params = job.params as RescoreParams;
  const model = resolveJobModel(ctx.registry, params.model_version);
  for (;;) {
    const page = await ctx.db.transaction().execute(async (trx) => {
      const parent = await lockJob(trx, jobId);
      const plan = await trx.selectFrom('rescore_plans').selectAll().where('job_id', '=', jobId).executeTakeFirst();
      if (!parent || parent.state !== 'active' || !plan || plan.planned_at !== null) return null;
      const recordings = await nextRecordings(trx, params, plan.cursor, RECORDING_PAGE);
      // In id order, as nextRecordings returns them; chunks pack recordings in that order.
      // A recording whose raw data has partly aged out is skipped: scoring it would overwrite its
      // good stored summary with one of a night with holes.
      const cutoff = rescoreCutoff(ctx.config, new Date());
      const usable = (r: (typeof recordings)[number]) => r.feature_schema_version === model.featureSchemaVersion && !startsBefore(r.started_at, cutoff);
      const matching = recordings.filter(usable);
      const other = recordings.filter((r) => !usable(r));
      const chunks = await insertChunks(trx, jobId, params, matching, ctx.config.MAX_RECORDING_EPOCHS);
      const skipped = await countWithEpochs(trx, params, other, ctx.config.MAX_RECORDING_EPOCHS);
      const last = recordings[recordings.length - 1]?.id ?? plan.cursor;
      const done = recordings.length < RECORDING_PAGE;
      await advancePlan(trx, jobId, last, skipped, done);
      // Pages never share a recording (keyset over recording ids), so counts simply add up.
      const counters = await updateParent(trx, parent, (c) => {
        c.progress.total += chunks.reduce((n, chunk) => n + chunk.epochs, 0);
        c.result.chunks.total += chunks.length;
        c.result.recordings += chunks.reduce((n, chunk) => n + chunk.recording_ids.length, 0);
        c.result.skipped += skipped;
        c.result.planned = done;
      });
      // A plan with nothing to score completes the parent here.
      return { chunkIds: chunks.map((chunk) => chunk.id), done, finished: counters.finished };
    });
    if (page === null) break;
    observeJobWait(ctx.metrics, page.finished);
    await enqueueChunks(ctx, jobId, page.chunkIds);
    log.debug({ chunks: page.chunkIds.length }, 'planned a page of recordings');
    if (page.done) break;
    await yieldToLoop();
  }
  // The first run enqueued everything it planned; a rerun cannot know what Redis still holds.
  if (job.attempts > 1) await reconcileChunks(ctx, jobId, log);
}

async function enqueueChunks(ctx: AppContext, jobId: string, chunkIds: readonly string[]): Promise<void> {
  for (let i = 0; i < chunkIds.length; i += 500) {
    const slice = chunkIds.slice(i, i + 500);
    // One publish span per page: every chunk of the page carries it, so the parent's trace holds them all.
    await publishSpan('rescore', { 'noctis.job_id': jobId, 'noctis.chunks': slice.length }, (traced) =>
      ctx.queues.rescore.addBulk(slice.map((chunkId) => ({ name: 'chunk', data: { jobId, chunkId, ...traced }, opts: { jobId: chunkId } }))),
    );
  }
}

/**
 * Puts every unfinished chunk back on the queue unless BullMQ still holds it, and records chunks
 * whose queue entry failed for good while PostgreSQL missed it.
 */
async function reconcileChunks(ctx: AppContext, jobId: string, log: Logger): Promise<void> {
  let after: string | null = null;
  let requeued = 0;
  for (;;) {
    const ids: string[] = await unfinishedChunks(ctx.db, jobId, after, 500);
    if (ids.length === 0) break;
    after = ids[ids.length - 1]!;
    const entries = await Promise.all(ids.map((id) => ctx.queues.rescore.getJob(id)));
    const missing: string[] = [];
    for (let k = 0; k < ids.length; k++) {
      const entry = entries[k];
      if (!entry) missing.push(ids[k]!);
      else if (await entry.isFailed()) await failChunk(ctx, jobId, ids[k]!, { message: entry.failedReason, attempts: entry.attemptsMade });
    }
    await enqueueChunks(ctx, jobId, missing);
    requeued += missing.length;
  }
  if (requeued > 0) log.warn({ requeued }, 're-enqueued re-score chunks the queue no longer had');
  // Counters rebuilt from the rows (they are the truth); also completes a parent with nothing left.
  const counters = await ctx.db.transaction().execute(async (trx) => {
    const parent = await lockJob(trx, jobId);
    return parent && parent.state === 'active' ? recomputeParent(trx, parent) : null;
  });
  observeJobWait(ctx.metrics, counters?.finished);
}

/** A chunk's final failure: recorded once, counted in the parent's `failed`, never blocking it. */
export async function failChunk(ctx: AppContext, jobId: string, chunkId: string, error: unknown): Promise<void> {
  const counters = await ctx.db.transaction().execute(async (trx) => {
    const parent = await lockJob(trx, jobId);
    if (!parent) return null;
    const epochs = await settleChunk(trx, chunkId, 'failed', { error });
    if (epochs === null) return null;
    return updateParent(trx, parent, (c) => {
      c.result.chunks.failed += 1;
      c.progress.done += epochs;
    });
  });
  observeJobWait(ctx.metrics, counters?.finished);
}
