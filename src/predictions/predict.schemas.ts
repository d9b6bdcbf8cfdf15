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
