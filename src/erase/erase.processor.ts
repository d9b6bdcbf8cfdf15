import { UnrecoverableError } from 'bullmq';
import type { AppContext } from '../app-context.js';
import { WORKER_ACTOR, recordAudit } from '../audit/audit.repository.js';
import { findJob, finishJob, markActive, setProgress } from '../jobs/jobs.repository.js';
import { observeJobWait } from '../metrics/job-wait.js';
import type { Logger } from '../logging/logger.js';
import { countDeviceRecordings, deleteWebhookEventMentions, findErasure, nextDeviceRecording, scrubAuditMentions, scrubJobMentions } from './erase.repository.js';
import { eraseRecording, scrubMentions, type EraseCounts } from './erase.recording.js';
import type { z } from 'zod';
import type { EraseJobResult } from './erase.schemas.js';

/** An erase job's result, as the API declares it (erase.schemas.ts): counts, never ids. */
export type EraseResult = z.infer<typeof EraseJobResult>;

/**
 * Erases the subject named by the job's `erasures` row. A device's recordings go one at a time
 * (each in bounded batches), with progress in recordings. The last step deletes the subject row and
 * the `erasures` row and completes the job in one transaction, so "completed" means nothing is left,
 * and a crash before it just runs the (idempotent) steps again.
 */
export async function processErase(ctx: AppContext, jobId: string, log: Logger): Promise<EraseResult> {
  const job = await markActive(ctx.db, jobId);
  if (!job) {
    const finished = await findJob(ctx.db, jobId);
    if (!finished) throw new UnrecoverableError(`job ${jobId} does not exist`);
    return finished.result as EraseResult;
  }
  const erasure = await findErasure(ctx.db, jobId);
  if (!erasure) throw new UnrecoverableError(`erase job ${jobId} has no subject`);
  const counts: EraseCounts = {};
  let recordings = 0;
  if (erasure.subject_kind === 'recording') {
    await eraseRecording(ctx, erasure.subject_id, counts);
    recordings = 1;
  } else {
    const total = await countDeviceRecordings(ctx.db, erasure.subject_id);
    await setProgress(ctx.db, jobId, { done: 0, total });
    for (let next = await nextDeviceRecording(ctx.db, erasure.subject_id); next; next = await nextDeviceRecording(ctx.db, erasure.subject_id)) {
      await eraseRecording(ctx, next, counts);
      recordings += 1;
      await setProgress(ctx.db, jobId, { done: recordings, total: Math.max(total, recordings) });
    }
    await scrubMentions(ctx, erasure.subject_id, counts);
  }
  const result: EraseResult = { subject: erasure.subject_kind, recordings, rows: counts };
  const batch = ctx.config.ERASE_BATCH_ROWS;
  const finished = await ctx.db.transaction().execute(async (trx) => {
    // A job that finished while the erase ran (an ingest accepted just before the DELETE) may have
    // written an event or a mention after the drains above; its rows in jobs go with the subject
    // row's cascade, and one more bounded pass here takes the rest in the same transaction.
    await deleteWebhookEventMentions(trx, erasure.subject_id, batch);
    await scrubJobMentions(trx, erasure.subject_id, batch);
    await scrubAuditMentions(trx, erasure.subject_id, batch);
    if (erasure.subject_kind === 'device') await trx.deleteFrom('devices').where('id', '=', erasure.subject_id).execute();
    else await trx.deleteFrom('recordings').where('id', '=', erasure.subject_id).execute();
    await trx.deleteFrom('erasures').where('job_id', '=', jobId).execute();
    const row = await finishJob(trx, jobId, 'completed', { result, progress: { done: recordings, total: recordings } });
    // Another run of this job (a redelivery) completed it first: it has its audit record already.
    if (row) await recordAudit(trx, { action: 'erase.completed', actor: WORKER_ACTOR, targetTenant: erasure.tenant, targetId: jobId, details: { subject: erasure.subject_kind, recordings } });
    return row;
  });
  observeJobWait(ctx.metrics, finished);
  log.info({ subject: erasure.subject_kind, recordings }, 'erase completed');
  return result;
}
