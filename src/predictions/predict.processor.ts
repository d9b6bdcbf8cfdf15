import { UnrecoverableError } from 'bullmq';
import type { AppContext } from '../app-context.js';
import { findJob, finishJob, markActive, setProgress } from '../jobs/jobs.repository.js';
import { observeJobWait } from '../metrics/job-wait.js';
import { findRecording } from '../recordings/recordings.repository.js';
import { countEpochs, epochStats } from '../recordings/recordings.repository.js';
import { epochWindow } from '../recordings/epoch-window.js';
import { resolveJobModel } from '../models/job-model.js';
import { scoreRecording } from './score-recording.js';
import { lockNight } from '../night-scoring/night-scoring.repository.js';
import type { z } from 'zod';
import type { PredictJobResult } from './predict.schemas.js';

export interface PredictParams {
  model_version: string;
  from_index: number;
  to_index: number | null;
}

/** A predict job's result, as the API declares it (predict.schemas.ts). */
export type PredictResult = z.infer<typeof PredictJobResult>;

/** Scores a recording's stored night with the version pinned when the job was accepted. */
export async function processPredict(ctx: AppContext, jobId: string): Promise<PredictResult> {
  const job = await markActive(ctx.db, jobId);
  if (!job) {
    const finished = await findJob(ctx.db, jobId);
    if (!finished) throw new UnrecoverableError(`job ${jobId} does not exist`);
    return finished.result as PredictResult;
  }
  const params = job.params as PredictParams;
  const model = resolveJobModel(ctx.registry, params.model_version);
  const recording = await findRecording(ctx.db, job.recording_id!);
  if (!recording) throw new UnrecoverableError(`recording ${job.recording_id} no longer exists`);
  const recordingEpochs = ctx.config.MAX_RECORDING_EPOCHS;
  const total = (await epochStats(ctx.db, epochWindow(recording, recordingEpochs))).epoch_count;
  await setProgress(ctx.db, jobId, { done: 0, total });
  // The model sees the whole stored night; only the requested range's predictions are written.
  const range = { fromIndex: params.from_index, toIndex: params.to_index };
  const done = await ctx.db.transaction().execute(async (trx) => {
    // Whole-night: read and write under the night's lock, as uploads and night scorings do.
    if (model.wholeNight) await lockNight(trx, recording.id);
    const scored = await scoreRecording(trx, recording, model, recordingEpochs, range);
    const predicted = await countEpochs(trx, epochWindow(recording, recordingEpochs, range));
    const outcome: PredictResult = { model_version: model.version, predicted, written: scored.written.length };
    const finished = await finishJob(trx, jobId, 'completed', { result: outcome, progress: { done: total, total } });
    return { outcome, finished };
  });
  observeJobWait(ctx.metrics, done.finished);
  const result = done.outcome;
  ctx.metrics.predictionsWritten.inc({ model_version: model.version }, result.written);
  return result;
}

