import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { Kysely, Transaction } from 'kysely';
import type { Database, RecordingRow } from '../db/database.js';
import type { RecordingClock } from '../epochs/epochs.repository.js';
import { conflict } from '../errors/app-error.js';
import { IsoTimestamp } from '../http/query.js';
import type { LoadedModel } from '../models/model-loader.js';
import { listPredictions } from '../predictions/predictions.repository.js';
import { epochWindow } from '../recordings/epoch-window.js';
import { epochTime, toIndexRange } from '../recordings/time-range.js';
import { storedEpochSpan } from './hypnogram.repository.js';
import { UNSCORED } from './sleep-statistics.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Query of every view of one night's hypnogram: summary, SVG and report page. */
export const HypnogramQuery = z.strictObject({
  from: IsoTimestamp.optional(),
  to: IsoTimestamp.optional(),
  model_version: z.string().min(1).max(64).optional(),
});
export type HypnogramQuery = z.infer<typeof HypnogramQuery>;

/** A model version's predicted stages from the first to the last stored epoch of a range. */
export interface Hypnogram {
  readonly recording: RecordingClock;
  readonly model: NightModel;
  readonly firstIndex: number;
  readonly lastIndex: number;
  /** One class index per epoch slot firstIndex..lastIndex, UNSCORED where nothing was predicted. */
  readonly classes: Int16Array;
  /** Probability of the predicted class per slot; NaN where unscored. */
  readonly confidence: Float32Array;
}

/** What a hypnogram needs of a model version: its name and its classes. */
export type NightModel = Pick<LoadedModel, 'version' | 'labels'>;

export async function loadHypnogram(ctx: AppContext, recording: RecordingRow, query: HypnogramQuery): Promise<Hypnogram & { readonly model: LoadedModel }> {
  const model = ctx.registry.resolve(query.model_version);
  const started = new Date(recording.started_at);
  const range = toIndexRange(started, recording.epoch_seconds, query.from, query.to);
  const details = {
    recording_id: recording.id,
    model_version: model.version,
    from: epochTime(started, recording.epoch_seconds, range.fromIndex),
    to: range.toIndex === null ? null : epochTime(started, recording.epoch_seconds, range.toIndex),
  };
  const read = await readHypnogram(ctx.db, recording, model, ctx.config.MAX_RECORDING_EPOCHS, range);
  if (read === 'no_epochs') throw conflict('no_predictions', `recording ${recording.id} has no stored epochs in the requested range`, details);
  if (read === 'no_predictions') {
    throw conflict('no_predictions', `recording ${recording.id} has no predictions of model ${model.version} in the requested range; POST /v1/predict {"recording_id", "model_version"} scores it`, details);
  }
  return { ...read, model };
}

/**
 * The hypnogram of a version over the stored epochs of [fromIndex, toIndex), or why there is none.
 * Takes `db` (or a transaction) so stored night summaries are computed by the same code as the
 * summary endpoint, inside the transaction that wrote the predictions.
 */
export async function readHypnogram(
  db: Db,
  recording: RecordingClock,
  model: NightModel,
  recordingEpochs: number,
  range: { fromIndex: number; toIndex: number | null } = { fromIndex: 0, toIndex: null },
): Promise<Hypnogram | 'no_epochs' | 'no_predictions'> {
  const span = await storedEpochSpan(db, epochWindow(recording, recordingEpochs, range));
  if (!span) return 'no_epochs';
  const rows = await listPredictions(db, epochWindow(recording, recordingEpochs, { fromIndex: span.first, toIndex: span.last + 1 }), model.version);
  if (rows.length === 0) return 'no_predictions';
  const slots = span.last - span.first + 1;
  const classes = new Int16Array(slots).fill(UNSCORED);
  const confidence = new Float32Array(slots).fill(Number.NaN);
  for (const row of rows) {
    const cls = model.labels.indexOf(row.stage);
    if (cls < 0) throw inconsistentStage(recording.id, model, row.stage);
    classes[row.epoch_index - span.first] = cls;
    confidence[row.epoch_index - span.first] = row.probabilities[cls] ?? Number.NaN;
  }
  return { recording, model, firstIndex: span.first, lastIndex: span.last, classes, confidence };
}

/**
 * A stored stage the version does not have: its classes changed after it scored this recording
 * (the version's folder was republished). Stored data and model disagree; a re-score of the
 * recording with the version rewrites every prediction whose stage differs.
 */
function inconsistentStage(recordingId: string, model: NightModel, stage: string) {
  return conflict(
    'predictions_inconsistent',
    `recording ${recordingId} has stored predictions of model ${model.version} with stage ${stage}, which is not one of its classes (${model.labels.join(', ')}); POST /v1/rescore {"model_version": "${model.version}", "recording_ids": ["${recordingId}"]} rewrites them`,
    { recording_id: recordingId, model_version: model.version, stage, classes: [...model.labels] },
  );
}
