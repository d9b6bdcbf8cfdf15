import { UnrecoverableError } from 'bullmq';
import { sql } from 'kysely';
import type { RecordingRow } from '../db/database.js';
import type { AppContext } from '../app-context.js';
import { hasStoredEpochs, insertEpochs } from '../epochs/epochs.repository.js';
import { float32FromLE } from '../epochs/float32-le.js';
import { findJob, finishJob, lockJob, type FinishedJob } from '../jobs/jobs.repository.js';
import { observeJobWait } from '../metrics/job-wait.js';
import type { Logger } from '../logging/logger.js';
import type { LoadedModel } from '../models/model-loader.js';
import { nightScoredStep, upsertPredictions } from '../predictions/predictions.repository.js';
import { currentGeneration, lockNight, nightIsCurrent, nightScoringStep, requestNightScoring } from '../night-scoring/night-scoring.repository.js';
import { enqueueNightScoring } from '../night-scoring/night-scoring.queue.js';
import { enqueueOrLeaveToSweeper } from '../jobs/enqueue-or-sweep.js';
import { scoreEpochsTraced } from '../models/model-scoring.traced.js';
import { epochWindow } from '../recordings/epoch-window.js';
import { refreshNightAfterIngest } from '../nights/night-store.js';
import type { z } from 'zod';
import type { IngestJobResult } from './ingest.schemas.js';
import { deletePayloadStep, startIngest } from './ingest.repository.js';

/** A finished ingest job's result: the API's shape (ingest.schemas.ts) with the scoring's counts present. */
export type IngestResult = Required<z.infer<typeof IngestJobResult>>;

/**
 * Stores one accepted batch. With a per-epoch model: epochs, their predictions (the model active
 * when they are stored), the job result and the payload's removal in one transaction. With a model
 * that needs the whole night: epochs and a scoring request in one transaction; the job stays
 * active until the night scoring that covers it completes it (night-scoring/).
 * Re-running after a crash is safe: a finished job returns its stored result.
 */
export async function processIngest(ctx: AppContext, jobId: string, log: Logger): Promise<IngestResult | null> {
  const model = ctx.registry.active();
  const started = await startIngest(ctx.db, jobId);
  if (!started) {
    const finished = await findJob(ctx.db, jobId);
    if (!finished) throw new UnrecoverableError(`job ${jobId} does not exist`);
    return finished.result as IngestResult;
  }
  const { job, stored } = started;
  if (job.awaits_scoring) {
    // Stored by an earlier run; only the scoring request may have been lost.
    await enqueueNightScoring(ctx.queues, job.recording_id!, await currentGeneration(ctx.db, job.recording_id!), 0);
    return null;
  }
  if (!stored) throw new UnrecoverableError(`job ${jobId} has no stored payload or recording`);
  const { payload, recording } = stored;

  const batch = { recording, indices: Int32Array.from(payload.epoch_indices), features: float32FromLE(payload.features), nFeatures: payload.n_features };
  return storeBatch(ctx, jobId, log, model, batch);
}

/** One job's accepted epochs, decoded, and the recording they belong to. */
interface Batch {
  readonly recording: RecordingRow;
  readonly indices: Int32Array;
  readonly features: Float32Array;
  readonly nFeatures: number;
}

const SWITCHED = Symbol('active model switched');
const AWAITS_SCORING = Symbol('stored by another run, awaits its night scoring');

/** Stores the batch with `model`, the active one when read; starts over if it was switched meanwhile. */
async function storeBatch(ctx: AppContext, jobId: string, log: Logger, model: LoadedModel | null, batch: Batch): Promise<IngestResult | null> {
  const { recording, indices, features, nFeatures } = batch;
  const usable = model && isCompatible(model, recording.feature_schema_version, nFeatures) ? model : null;
  if (usable?.wholeNight) return storeForNightScoring(ctx, jobId, usable, batch);
  if (!usable) log.warn({ model_version: model?.version ?? null }, 'no compatible active model; storing epochs without predictions');
  const scores = usable ? scoreEpochsTraced(usable, indices, features, indices.length) : null;

  let finished: FinishedJob | undefined;
  const result = await ctx.db.transaction().execute(async (trx) => {
    const locked = await lockJob(trx, jobId);
    // Its row went with its recording (an erase) since the start: a no-op no retry can change.
    if (!locked) throw new UnrecoverableError(`job ${jobId} does not exist`);
    if (locked.state !== 'active' && locked.state !== 'queued') return locked.result as IngestResult;
    // Lock order: job row, then night (a night scoring locks only jobs that await it, after the night).
    if (locked.awaits_scoring) return AWAITS_SCORING;
    // The night's lock: a whole-night upload's "nothing stored yet" must not miss this uncommitted write.
    await lockNight(trx, recording.id);
    // A whole-night model activated since `model` was read may have scored the night without this batch.
    if (ctx.registry.active() !== model) return SWITCHED;
    const inserted = await insertEpochs(trx, recording, indices, features, nFeatures);
    const scoredWith = usable && scores && inserted.length > 0 ? usable : null;
    const predicted = scoredWith ? await upsertPredictions(trx, recording, selectRows(scoredWith, indices, scores!, inserted), false) : 0;
    // Epochs accepted before a close and stored after it: the closed night is measured again.
    if (inserted.length > 0) await refreshNightAfterIngest(trx, recording.id, predicted > 0 ? usable : null);
    const outcome: IngestResult = {
      accepted: indices.length,
      inserted: inserted.length,
      duplicates: indices.length - inserted.length,
      predicted,
      rescored: 0,
      model_version: usable?.version ?? null,
    };
    const also = [deletePayloadStep(jobId), ...(scoredWith ? [nightScoredStep(recording.id, scoredWith.version)] : [])];
    finished = await finishJob(trx, jobId, 'completed', { result: outcome, progress: { done: indices.length, total: indices.length } }, also);
    return outcome;
  });
  if (result === SWITCHED) return storeBatch(ctx, jobId, log, ctx.registry.active(), batch);
  if (result === AWAITS_SCORING) return null;
  // After the commit: a rolled-back finish never counts.
  if (usable) ctx.metrics.scoringBatchSize.observe(indices.length);
  observeJobWait(ctx.metrics, finished);
  ctx.metrics.epochsIngested.inc(result.inserted);
  ctx.metrics.epochsDuplicate.inc(result.duplicates);
  if (result.model_version) ctx.metrics.predictionsWritten.inc({ model_version: result.model_version }, result.predicted);
  return result;
}

/**
 * Whole-night models. An upload into an empty recording is the whole stored night, so it is scored
 * at once in its own transaction (a night sent in one request costs one scoring, as with per-epoch
 * models). Otherwise the epochs and a scoring request commit together and the recording's scoring
 * job is queued (debounced, so the parts of one night share one scoring); the payload row stays
 * until that scoring, which reads the job's epoch indices from it. Either way the night's lock is
 * held, so an upload never races a scoring of its night.
 */
async function storeForNightScoring(ctx: AppContext, jobId: string, model: LoadedModel, batch: Batch): Promise<IngestResult | null> {
  const { recording, indices, features, nFeatures } = batch;
  const stored = await ctx.db.transaction().execute(async (trx) => {
    const locked = await lockJob(trx, jobId);
    if (!locked || locked.state !== 'active' || locked.awaits_scoring) return null;
    await lockNight(trx, recording.id);
    const first = !(await hasStoredEpochs(trx, epochWindow(recording, ctx.config.MAX_RECORDING_EPOCHS)));
    const inserted = await insertEpochs(trx, recording, indices, features, nFeatures, first);
    const partial = { accepted: indices.length, inserted: inserted.length, duplicates: indices.length - inserted.length };
    if (first) {
      const scores = scoreEpochsTraced(model, indices, features, indices.length);
      const all = Array.from(indices);
      const predicted = await upsertPredictions(trx, recording, selectRows(model, indices, scores, all), false);
      await refreshNightAfterIngest(trx, recording.id, model);
      const outcome: IngestResult = { ...partial, predicted, rescored: 0, model_version: model.version };
      const also = [deletePayloadStep(jobId), nightScoredStep(recording.id, model.version), nightScoringStep(recording.id, indices.length, false)];
      const finished = await finishJob(trx, jobId, 'completed', { result: outcome, progress: { done: indices.length, total: indices.length } }, also);
      return { outcome, generation: null, written: predicted, finished };
    }
    // Nothing new (a re-sent upload) and nothing waiting: the night is as its last scoring saw it.
    if (inserted.length === 0 && (await nightIsCurrent(trx, recording.id, model.version, indices))) {
      const outcome: IngestResult = { ...partial, predicted: indices.length, rescored: 0, model_version: model.version };
      const finished = await finishJob(trx, jobId, 'completed', { result: outcome, progress: { done: indices.length, total: indices.length } }, [deletePayloadStep(jobId)]);
      return { outcome, generation: null, written: 0, finished };
    }
    if (inserted.length > 0) await refreshNightAfterIngest(trx, recording.id, null);
    const generation = await requestNightScoring(trx, recording.id);
    await trx
      .updateTable('jobs')
      .set({ awaits_scoring: true, result: JSON.stringify(partial), progress: JSON.stringify({ done: indices.length, total: indices.length }), updated_at: sql`now()` })
      .where('id', '=', jobId)
      .execute();
    return { outcome: { ...partial, predicted: 0, rescored: 0, model_version: null }, generation, written: 0, finished: undefined };
  });
  if (!stored) return null;
  observeJobWait(ctx.metrics, stored.finished);
  ctx.metrics.epochsIngested.inc(stored.outcome.inserted);
  ctx.metrics.epochsDuplicate.inc(stored.outcome.duplicates);
  if (stored.generation === null) {
    if (stored.written > 0) ctx.metrics.scoringBatchSize.observe(indices.length);
    ctx.metrics.predictionsWritten.inc({ model_version: model.version }, stored.written);
    return stored.outcome;
  }
  await enqueueOrLeaveToSweeper(ctx.logger, jobId, () => enqueueNightScoring(ctx.queues, recording.id, stored.generation, ctx.config.NIGHT_SCORING_DEBOUNCE_MS));
  return null;
}

function isCompatible(model: LoadedModel, schemaVersion: string, nFeatures: number): boolean {
  return model.featureSchemaVersion === schemaVersion && model.features.length === nFeatures;
}

/** The predictions of the epochs this job actually inserted, in one contiguous block. */
function selectRows(model: LoadedModel, indices: Int32Array, scores: { probabilities: Float32Array; classes: Uint8Array }, inserted: readonly number[]) {
  const nClasses = model.labels.length;
  const position = new Map<number, number>();
  for (let k = 0; k < indices.length; k++) position.set(indices[k]!, k);
  const probabilities = new Float32Array(inserted.length * nClasses);
  const classes = new Uint8Array(inserted.length);
  inserted.forEach((index, row) => {
    const k = position.get(index)!;
    probabilities.set(scores.probabilities.subarray(k * nClasses, (k + 1) * nClasses), row * nClasses);
    classes[row] = scores.classes[k]!;
  });
  return { modelVersion: model.version, labels: model.labels, indices: inserted, probabilities, classes };
}
