import type { AppContext } from '../app-context.js';
import type { RecordingRow } from '../db/database.js';
import { conflict } from '../errors/app-error.js';
import { countLabels } from '../labels/labels.repository.js';
import { cohenKappa } from '../stats/classification.js';
import { countLabelledRecordings, labelledPairCounts } from './evaluation.repository.js';
import { confusionByRecording, pooled, spread, toMetrics } from './evaluation.metrics.js';

const PREDICT_HINT = 'POST /v1/predict {"recording_id", "model_version"} scores a recording';

/** Agreement of one recording's labels with a model version's predictions. */
export async function evaluateRecording(ctx: AppContext, recording: RecordingRow, version: string | undefined) {
  const model = ctx.registry.resolve(version);
  const details = { recording_id: recording.id, model_version: model.version };
  const labelled = await countLabels(ctx.db, recording.id);
  if (labelled === 0) throw conflict('no_labels', `recording ${recording.id} has no labels; PUT /v1/recordings/{id}/labels stores them`, details);
  const [one] = confusionByRecording(model.labels, await labelledPairCounts(ctx.db, model.version, recording.id));
  if (!one) {
    throw conflict('no_predictions', `none of the ${labelled} labelled epochs of recording ${recording.id} has a prediction of model ${model.version}; ${PREDICT_HINT}`, details);
  }
  return { recording_id: recording.id, model_version: model.version, labels: model.labels, ...toMetrics(one) };
}

/**
 * The same pooled over every labelled recording of `tenant` (every tenant's when undefined: the
 * operators' view), with the spread of per-recording kappa.
 */
export async function evaluateModel(ctx: AppContext, version: string, tenant: string | undefined) {
  const model = ctx.registry.resolve(version);
  const labelledRecordings = await countLabelledRecordings(ctx.db, tenant);
  if (labelledRecordings === 0) throw conflict('no_labels', 'no recording has labels; PUT /v1/recordings/{id}/labels stores them', { model_version: model.version });
  const recordings = confusionByRecording(model.labels, await labelledPairCounts(ctx.db, model.version, undefined, tenant));
  if (recordings.length === 0) {
    throw conflict('no_predictions', `none of the ${labelledRecordings} labelled recordings has predictions of model ${model.version} on labelled epochs; ${PREDICT_HINT}`, {
      model_version: model.version,
      labelled_recordings: labelledRecordings,
    });
  }
  const perRecording = recordings.map((r) => ({ recording_id: r.recordingId, n: r.matrix.total, cohen_kappa: cohenKappa(r.matrix) }));
  return {
    model_version: model.version,
    labels: model.labels,
    recordings: recordings.length,
    labelled_recordings: labelledRecordings,
    ...toMetrics(pooled(model.labels, recordings)),
    per_recording_kappa: spread(perRecording.map((r) => r.cohen_kappa)),
    per_recording: perRecording,
  };
}
