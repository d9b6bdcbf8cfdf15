import { randomUUID } from 'node:crypto';
import type { AppContext } from '../app-context.js';
import { recordAudit, type AuditActor } from '../audit/audit.repository.js';
import { notFound } from '../errors/app-error.js';
import { newJobRow } from '../jobs/jobs.repository.js';
import { jobStatusUrl } from '../jobs/jobs.service.js';
import { enqueue } from '../queues/queues.js';
import type { EraseSubject } from './erase.repository.js';
import { enqueueOrLeaveToSweeper } from '../jobs/enqueue-or-sweep.js';

export interface EraseAccepted {
  job_id: string;
  status_url: string;
}

/**
 * Starts (or finds the running) erase of one of `tenant`'s devices or recordings. The subject row
 * is locked first, so two DELETEs of one id serialise and the second finds the first's erase. The
 * job row names no subject (params: only its kind): the id lives in `erasures` until it is gone.
 */
export async function requestErase(ctx: AppContext, kind: EraseSubject, id: string, tenant: string, actor: AuditActor): Promise<EraseAccepted> {
  const table = kind === 'device' ? 'devices' : 'recordings';
  const jobId = await ctx.db.transaction().execute(async (trx) => {
    const subject = await trx.selectFrom(table).select('id').where('id', '=', id).where('tenant', '=', tenant).forUpdate().executeTakeFirst();
    if (!subject) throw notFound(`${kind}_not_found`, `${kind} ${id} does not exist`, { [`${kind}_id`]: id });
    const running = await trx.selectFrom('erasures').select('job_id').where('subject_id', '=', id).executeTakeFirst();
    if (running) return running.job_id;
    const newId = randomUUID();
    await trx.insertInto('jobs').values(newJobRow({ id: newId, type: 'erase', recordingId: null, tenant, params: { subject: kind }, progress: { done: 0, total: null } })).execute();
    await trx.insertInto('erasures').values({ job_id: newId, tenant, subject_kind: kind, subject_id: id }).execute();
    // The audit record keeps the fact and the job, never the erased id.
    await recordAudit(trx, { action: 'erase.requested', actor, targetTenant: tenant, targetId: newId, details: { subject: kind } });
    return newId;
  });
  await enqueueOrLeaveToSweeper(ctx.logger, jobId, () => enqueue(ctx.queues, 'erase', jobId));
  return { job_id: jobId, status_url: jobStatusUrl(jobId) };
}
