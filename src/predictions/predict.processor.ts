import { UnrecoverableError } from 'bullmq';
import type { AppContext } from '../app-context.js';
import { AppError } from '../errors/app-error.js';
import { findJob, finishJob, markActive, setProgress } from '../jobs/jobs.repository.js';
import { findRecording } from '../recordings/recordings.repository.js';
import { epochStats } from '../recordings/recordings.repository.js';
import { scoreStoredEpochs } from './score-stored.js';

export interface PredictParams {
  model_version: string;
  from_index: number;
  to_index: number | null;
}

export interface PredictResult {
  model_version: string;
  predicted: number;
}

/** Scores a recording's stored epochs with the version pinned when the job was accepted. */
export async function processPredict(ctx: AppContext, jobId: string): Promise<PredictResult> {
  const job = await markActive(ctx.db, jobId);
  if (!job) {
    const finished = await findJob(ctx.db, jobId);
    if (!finished) throw new UnrecoverableError(`job ${jobId} does not exist`);
    return finished.result as PredictResult;
  }
  const params = job.params as PredictParams;
  let model;
  try {
    model = ctx.registry.resolve(params.model_version);
  } catch (err) {
    // 422: the folder is broken here; a 404 may be a worker that has not reloaded yet, so retry.
    if (err instanceof AppError && err.statusCode === 422) throw new UnrecoverableError(err.message);
    throw err;
  }
  const recording = await findRecording(ctx.db, job.recording_id!);
  if (!recording) throw new UnrecoverableError(`recording ${job.recording_id} no longer exists`);
  const total = (await epochStats(ctx.db, recording.id)).epoch_count;
  const predicted = await scoreStoredEpochs(ctx.db, recording, model, { fromIndex: params.from_index, toIndex: params.to_index }, (done) =>
    setProgress(ctx.db, jobId, { done, total }),
  );
  ctx.metrics.predictionsWritten.inc({ model_version: model.version }, predicted);
  const result: PredictResult = { model_version: model.version, predicted };
  await finishJob(ctx.db, jobId, 'completed', { result, progress: { done: predicted, total: predicted } });
  return result;
}
