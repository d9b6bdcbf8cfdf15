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
