import { z } from 'zod';
import { EpochItem } from '../epochs/epoch-input.schemas.js';
import { PageCursor, RecordingPageLimit } from '../http/paging.js';
import { IsoTimestamp } from '../http/query.js';

export const MAX_INLINE_PREDICT_EPOCHS = 10_000;

export const InlinePredictBody = z.strictObject({
  feature_schema_version: z.string().min(1),
  model_version: z.string().min(1).optional(),
  epochs: z.array(EpochItem).min(1),
});

export const RecordingPredictBody = z.strictObject({
  recording_id: z.string().min(1),
  model_version: z.string().min(1).optional(),
  from: IsoTimestamp.optional(),
  to: IsoTimestamp.optional(),
});

export const ListPredictionsQuery = z.strictObject({
  from: IsoTimestamp.optional(),
  to: IsoTimestamp.optional(),
  model_version: z.string().min(1).optional(),
  limit: RecordingPageLimit,
  cursor: PageCursor,
});

/** Probabilities per class, in the order of `labels`, rounded to 7 decimals. */
const Probabilities = z.array(z.number()).describe('one per class, in the order of labels');

export const InlinePredictions = z.strictObject({
  model_version: z.string(),
  labels: z.array(z.string()).describe("the model's classes"),
  predictions: z.array(z.strictObject({ epoch_index: z.number().int(), stage: z.string(), probabilities: Probabilities })),
});

export const PredictionPage = z.strictObject({
  model_version: z.string(),
  labels: z.array(z.string()),
  scored_at: z.iso.datetime().nullable().describe('when this version last scored the night; null: never, or only before this was kept'),
  items: z.array(z.strictObject({ epoch_index: z.number().int(), ts: z.iso.datetime(), stage: z.string(), probabilities: Probabilities })),
  next_cursor: z.string().nullable(),
});

/** A predict job's result. */
export const PredictJobResult = z.strictObject({
  model_version: z.string(),
  predicted: z.number().int().describe('stored epochs of the range that now carry a prediction of the version'),
  written: z.number().int().describe('of those, predictions inserted or changed by this job'),
});
