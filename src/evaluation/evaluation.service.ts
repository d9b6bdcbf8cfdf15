import type { Kysely } from 'kysely';
import type { AppContext } from '../app-context.js';
import type { Database, RecordingRow } from '../db/database.js';
import { conflict } from '../errors/app-error.js';
import { countLabels, hasLabels } from '../labels/labels.repository.js';
import { cohenKappa } from '../stats/classification.js';
import { epochWindow } from '../recordings/epoch-window.js';
import { eachRecording, labelledPairCounts, labelledPredictions } from './evaluation.repository.js';
import { confusionByRecording, pooled, spread, toMetrics, type RecordingConfusion } from './evaluation.metrics.js';
import { compareNight } from './evaluation.night.js';
import { NightErrorAccumulator } from './evaluation.night-errors.js';
import type { ModelEvaluation, RecordingEvaluation } from './evaluation.schemas.js';

const PREDICT_HINT = 'POST /v1/predict {"recording_id", "model_version"} scores a recording';

/**
 * Runs the reads of one evaluation on one snapshot, so the confusion counts and the night
 * statistics describe the same labels and predictions even while either is being written.
 */
function onSnapshot<T>(ctx: AppContext, read: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  return ctx.db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(read);
}

/** Agreement of one recording's labels with a model version's predictions, and of their nights. */
export async function evaluateRecording(ctx: AppContext, recording: RecordingRow, version: string | undefined): Promise<RecordingEvaluation> {
  const model = ctx.registry.resolve(version);
  const details = { recording_id: recording.id, model_version: model.version };
  const window = epochWindow(recording, ctx.config.MAX_RECORDING_EPOCHS);
  return onSnapshot(ctx, async (db) => {
    const labelled = await countLabels(db, window);
    if (labelled === 0) throw conflict('no_labels', `recording ${recording.id} has no labels; PUT /v1/recordings/{id}/labels stores them`, details);
    const [one] = confusionByRecording(model.labels, await labelledPairCounts(db, model.version, window));
    if (!one) {
      throw conflict('no_predictions', `none of the ${labelled} labelled epochs of recording ${recording.id} has a prediction of model ${model.version}; ${PREDICT_HINT}`, details);
    }
    const night = compareNight(model.labels, await labelledPredictions(db, window, model.version), recording.epoch_seconds);
    return { recording_id: recording.id, model_version: model.version, labels: [...model.labels], ...toMetrics(one), night };
  });
}

/**
 * The same pooled over every labelled recording of `tenant` (every tenant's when undefined: the
 * operators' view), with the spread of per-recording kappa and the errors of the night statistics.
 * Recordings are read one at a time, each inside its own span; only their differences are kept.
 */
export async function evaluateModel(ctx: AppContext, version: string, tenant: string | undefined): Promise<ModelEvaluation> {
  const model = ctx.registry.resolve(version);
  const recordingEpochs = ctx.config.MAX_RECORDING_EPOCHS;
  return onSnapshot(ctx, async (db) => {
    let labelledRecordings = 0;
    const recordings: RecordingConfusion[] = [];
    const errors = new NightErrorAccumulator(model.labels);
    const perRecording: ModelEvaluation['per_recording'] = [];
    for await (const recording of eachRecording(db, tenant)) {
      const window = epochWindow(recording, recordingEpochs);
      if (!(await hasLabels(db, window))) continue;
      labelledRecordings += 1;
      const [one] = confusionByRecording(model.labels, await labelledPairCounts(db, model.version, window));
      if (!one) continue;
      recordings.push(one);
      const night = compareNight(model.labels, await labelledPredictions(db, window, model.version), recording.epoch_seconds);
      errors.add(night?.difference ?? null);
      perRecording.push({ recording_id: recording.id, n: one.matrix.total, cohen_kappa: cohenKappa(one.matrix), night_difference: night?.difference ?? null });
    }
    if (labelledRecordings === 0) throw conflict('no_labels', 'no recording has labels; PUT /v1/recordings/{id}/labels stores them', { model_version: model.version });
    if (recordings.length === 0) {
      throw conflict('no_predictions', `none of the ${labelledRecordings} labelled recordings has predictions of model ${model.version} on labelled epochs; ${PREDICT_HINT}`, {
        model_version: model.version,
        labelled_recordings: labelledRecordings,
      });
    }
    return {
      model_version: model.version,
      labels: [...model.labels],
      recordings: recordings.length,
      labelled_recordings: labelledRecordings,
      ...toMetrics(pooled(model.labels, recordings)),
      per_recording_kappa: spread(perRecording.map((r) => r.cohen_kappa)),
      night_errors: errors.result(),
      per_recording: perRecording,
    };
  });
}
