import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { AppContext } from '../app-context.js';
import type { JobRow } from '../db/database.js';
import { findDevice } from '../devices/devices.repository.js';
import { CLI_ACTOR, recordAudit, type AuditActor } from '../audit/audit.repository.js';
import { DEFAULT_TENANT } from '../auth/scopes.js';
import { AppError, conflict, notFound } from '../errors/app-error.js';
import { findJob, insertJob, lockJob } from '../jobs/jobs.repository.js';
import { enqueue } from '../queues/queues.js';
import { endParentEarly } from './rescore.parent.js';
import { insertPlan, type RescoreParams } from './rescore.repository.js';
import type { RescoreRequest } from './rescore.schemas.js';
import { enqueueOrLeaveToSweeper } from '../jobs/enqueue-or-sweep.js';
import { observeJobWait } from '../metrics/job-wait.js';

export const RESCORE_JOB_TYPE = 'rescore';

export interface StartedRescore {
  readonly jobId: string;
  readonly modelVersion: string;
}

/**
 * Validates a re-score request, writes the parent job and its plan in one transaction, then
 * enqueues the planner (a lost enqueue is repaired by the sweeper). Throws AppError 4xx.
 * `tenant` limits the recordings (undefined: every tenant's); `owner` is the tenant whose keys
 * may poll and cancel the job.
 */
export async function startRescore(
  ctx: AppContext,
  request: RescoreRequest,
  trigger: RescoreParams['trigger'],
  tenant?: string,
  owner: string = tenant ?? DEFAULT_TENANT,
  actor: AuditActor = CLI_ACTOR,
): Promise<StartedRescore> {
  const model = ctx.registry.resolve(request.model_version);
  if (request.from !== undefined && request.to !== undefined && Date.parse(request.from) >= Date.parse(request.to)) {
    throw new AppError(400, 'invalid_range', `from (${request.from}) must be before to (${request.to})`, { from: request.from, to: request.to });
  }
  const deviceId = request.device_id?.toLowerCase() ?? null;
  if (deviceId !== null && !(await findDevice(ctx.db, deviceId, tenant))) {
    throw notFound('device_not_found', `device ${deviceId} does not exist`, { device_id: deviceId });
  }
  const recordingIds = request.recording_ids ? [...new Set(request.recording_ids.map((id) => id.toLowerCase()))] : null;
  if (recordingIds !== null) {
    let lookup = ctx.db.selectFrom('recordings').select('id').where(sql<boolean>`id = ANY(${recordingIds}::uuid[])`);
    if (tenant !== undefined) lookup = lookup.where('tenant', '=', tenant);
    const found = await lookup.execute();
    const known = new Set(found.map((r) => r.id));
    const missing = recordingIds.filter((id) => !known.has(id));
    if (missing.length > 0) {
      throw notFound('recording_not_found', `${missing.length} of the recording_ids do not exist`, { missing: missing.slice(0, 20), missing_count: missing.length });
    }
  }
  const params: RescoreParams = {
    model_version: model.version,
    recording_ids: recordingIds,
    device_id: deviceId,
    from: request.from === undefined ? null : new Date(request.from).toISOString(),
    to: request.to === undefined ? null : new Date(request.to).toISOString(),
    only_missing: request.only_missing ?? false,
    chunk_epochs: ctx.config.RESCORE_CHUNK_EPOCHS,
    trigger,
    tenant: tenant ?? null,
  };
  const jobId = randomUUID();
  await createRescoreJob(ctx, jobId, params, owner, actor);
  return { jobId, modelVersion: model.version };
}

/** The request as the audit log keeps it: a long list of recording ids as its length. */
const rescoreDetails = ({ recording_ids, ...rest }: RescoreParams) => ({ ...rest, recording_count: recording_ids?.length ?? null });

/** Parent row and plan in one transaction (idempotent for a given id), then the planner job. */
export async function createRescoreJob(ctx: AppContext, jobId: string, params: RescoreParams, owner: string, actor: AuditActor): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    if (await findJob(trx, jobId)) return;
    await recordAudit(trx, { action: 'rescore.started', actor, targetTenant: owner, targetId: jobId, details: rescoreDetails(params) });
    await insertJob(trx, { id: jobId, type: RESCORE_JOB_TYPE, recordingId: null, tenant: owner, params: { ...params }, progress: { done: 0, total: 0 } });
    await insertPlan(trx, jobId, params.model_version);
  });
  await enqueueOrLeaveToSweeper(ctx.logger, jobId, () => enqueue(ctx.queues, 'rescore', jobId));
}

/**
 * Cancels a re-score: the parent becomes `cancelled`, chunks not yet started are cancelled (and
 * their queue entries removed, best effort); chunks already running finish and stay counted.
 */
export async function cancelRescore(ctx: AppContext, jobId: string, tenant: string | undefined, actor: AuditActor): Promise<JobRow> {
  const outcome = await ctx.db.transaction().execute(async (trx) => {
    const parent = await lockJob(trx, jobId);
    if (!parent || (tenant !== undefined && parent.tenant !== tenant)) throw notFound('job_not_found', `job ${jobId} does not exist`, { job_id: jobId });
    if (parent.type !== RESCORE_JOB_TYPE) {
      throw conflict('job_not_cancellable', `${parent.type} jobs cannot be cancelled; only rescore jobs can`, { job_id: jobId, type: parent.type });
    }
    if (parent.state !== 'queued' && parent.state !== 'active') {
      throw conflict('job_already_finished', `job ${jobId} is already ${parent.state}`, { job_id: jobId, state: parent.state });
    }
    const ended = await endParentEarly(trx, parent, 'cancelled');
    await recordAudit(trx, { action: 'rescore.cancelled', actor, targetTenant: parent.tenant, targetId: jobId, details: { chunks_cancelled: ended.cancelled.length } });
    return ended;
  });
  observeJobWait(ctx.metrics, outcome.finished);
  await removeQueued(ctx, [jobId, ...outcome.cancelled]);
  return (await findJob(ctx.db, jobId))!;
}

/** Drops waiting queue entries; a chunk that starts anyway sees its parent cancelled and stops. */
async function removeQueued(ctx: AppContext, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 200) {
    await Promise.all(ids.slice(i, i + 200).map((id) => ctx.queues.rescore.remove(id).catch(() => 0)));
  }
}
