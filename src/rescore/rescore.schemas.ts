import { z } from 'zod';
import { IsoTimestamp } from '../http/query.js';

export const MAX_RESCORE_RECORDING_IDS = 10_000;

/** `POST /v1/rescore`: every filter is optional; together they narrow the epochs re-scored. */
export const RescoreBody = z.strictObject({
  model_version: z.string().min(1).max(200).optional(),
  recording_ids: z.array(z.uuid()).min(1).max(MAX_RESCORE_RECORDING_IDS).optional(),
  device_id: z.uuid().optional(),
  /** Epoch timestamps: epochs with `from <= ts < to`. */
  from: IsoTimestamp.optional(),
  to: IsoTimestamp.optional(),
  /** Only epochs that have no prediction of that version yet. */
  only_missing: z.boolean().optional(),
});

export type RescoreRequest = z.infer<typeof RescoreBody>;

/** A re-score parent's result, kept up to date while its chunks run. */
export const RescoreJobResult = z.strictObject({
  model_version: z.string(),
  rescored: z.number().int().describe('predictions written by completed chunks'),
  skipped: z.number().int().describe("recordings whose feature schema differs from the model's"),
  failed: z.number().int().describe('chunks that failed after their retries'),
  recordings: z.number().int(),
  planned: z.boolean().describe('false while recordings are still being chosen'),
  chunks: z.strictObject({ total: z.number().int(), pending: z.number().int(), completed: z.number().int(), failed: z.number().int(), cancelled: z.number().int() }),
});
