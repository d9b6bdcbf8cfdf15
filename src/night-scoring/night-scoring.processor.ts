import { DelayedError, type Job } from 'bullmq';
import type { AppContext } from '../app-context.js';
import type { Logger } from '../logging/logger.js';
import type { LoadedModel } from '../models/model-loader.js';
import { scoreRecording } from '../predictions/score-recording.js';
import type { JobPayloads } from '../queues/queues.js';
import { findRecording } from '../recordings/recordings.repository.js';
import type { IngestResult } from '../ingest/ingest.processor.js';
import { countEpochs } from '../recordings/recordings.repository.js';
import { epochWindow } from '../recordings/epoch-window.js';
import { findNightScoring, lockAwaitingJobs, lockNight, recordNightScoring, settleAwaitingJob, startGeneration, type AwaitingJob } from './night-scoring.repository.js';
import { whenToScore } from './night-scoring.policy.js';
import type { FinishedJob } from '../jobs/jobs.repository.js';
import { observeJobWait } from '../metrics/job-wait.js';

type NightJob = Job<JobPayloads['night']>;

/** The job's return value, which BullMQ's events stream keeps: counts only, no recording id. */
export interface NightScoringOutcome {
  readonly model_version: string | null;
  readonly epochs: number;
  readonly written: number;
  readonly jobs: number;
}

/**
 * Scores one recording's whole stored night with the active model, then completes every ingest job
 * of the recording that was waiting for it, in one transaction. Waits (without spending an attempt,
 * via moveToDelayed) while uploads to the recording are still arriving, up to
 * NIGHT_SCORING_MAX_WAIT_SECONDS, and while the night's scoring budget is spent (see whenToScore).
 */
export async function processNightScoring(ctx: AppContext, log: Logger, job: NightJob, token: string | undefined): Promise<NightScoringOutcome | null> {
  const recordingId = job.data.recordingId;
  const state = await findNightScoring(ctx.db, recordingId);
  if (!state) return null; // the recording is gone
  const clock = state.pending_since === null ? undefined : await findRecording(ctx.db, recordingId);
  const stored = clock ? await countEpochs(ctx.db, epochWindow(clock, ctx.config.MAX_RECORDING_EPOCHS)) : 0;
  const plan = whenToScore(ctx.config, state, stored, Date.now());
  if (plan.runAt !== null && token !== undefined) {
    await job.moveToDelayed(plan.runAt, token);
    throw new DelayedError();
  }
  await startGeneration(ctx.db, recordingId);
  const model = ctx.registry.active();
  const finished: Array<FinishedJob | undefined> = [];
  const outcome = await ctx.db.transaction().execute(async (trx) => {
    await lockNight(trx, recordingId);
    const waiting = await lockAwaitingJobs(trx, recordingId);
    const recording = await findRecording(trx, recordingId);
    // Nothing waits: an earlier scoring already covered every stored upload.
    if (waiting.length === 0 || !recording) return { model_version: null, epochs: 0, written: 0, jobs: 0 };
    const usable = model && model.featureSchemaVersion === recording.feature_schema_version ? model : null;
    const scored = usable ? await scoreRecording(trx, recording, usable, ctx.config.MAX_RECORDING_EPOCHS) : { epochs: 0, written: [] };
    await recordNightScoring(trx, recordingId, scored.epochs, plan.overBudget);
    const written = new Set(scored.written);
    for (const awaiting of waiting) {
      finished.push(await settleAwaitingJob(trx, awaiting.id, { state: 'completed', result: jobResult(awaiting, usable, written) }));
    }
    return { model_version: usable?.version ?? null, epochs: scored.epochs, written: written.size, jobs: waiting.length };
  });
  // The uploads this scoring completed: their clients' wait ends here, after the commit.
  for (const job of finished) observeJobWait(ctx.metrics, job);
  if (outcome.model_version) ctx.metrics.predictionsWritten.inc({ model_version: outcome.model_version }, outcome.written);
  if (outcome.jobs > 0 && !outcome.model_version) log.warn({ recordingId }, 'no compatible active model; epochs stored without predictions');
  log.debug({ recordingId, ...outcome }, 'night scored');
  return outcome;
}

/** The ingest job's result: what it stored, and what the scoring that covered it did. */
function jobResult(job: AwaitingJob, model: LoadedModel | null, written: ReadonlySet<number>): IngestResult {
  const stored = job.result as IngestResult;
  const own = new Set(job.epoch_indices ?? []);
  let ownWritten = 0;
  for (const index of own) if (written.has(index)) ownWritten++;
  return {
    ...stored,
    predicted: model ? own.size : 0,
    rescored: written.size - ownWritten,
    model_version: model?.version ?? null,
  };
}

/** After the last retry: the waiting ingest jobs fail with the scoring's error (their epochs stay stored). */
export async function nightScoringFinalFailure(ctx: AppContext, job: NightJob, err: Error): Promise<void> {
  const failed = await ctx.db.transaction().execute(async (trx) => {
    await lockNight(trx, job.data.recordingId);
    const rows: Array<FinishedJob | undefined> = [];
    for (const awaiting of await lockAwaitingJobs(trx, job.data.recordingId)) {
      rows.push(await settleAwaitingJob(trx, awaiting.id, { state: 'failed', error: { message: `scoring the night failed: ${err.message}`, attempts: job.attemptsMade + 1 } }));
    }
    return rows;
  });
  for (const row of failed) observeJobWait(ctx.metrics, row);
}
