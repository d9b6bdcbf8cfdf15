import { z } from 'zod';
import { EpochItem } from '../epochs/epoch-input.schemas.js';

export const IngestListBody = z.strictObject({
  recording_id: z.string().min(1),
  feature_schema_version: z.string().min(1),
  epochs: z.array(EpochItem.extend({ epoch_index: z.number().int().min(0) })).min(1),
});

export const IngestPackedBody = z.strictObject({
  recording_id: z.string().min(1),
  feature_schema_version: z.string().min(1),
  start_index: z.number().int().min(0),
  packed: z.string().min(1).describe('base64 of count × features little-endian float32, row-major'),
});

export const IngestBody = z.union([IngestListBody, IngestPackedBody]);

/** 202: the epochs are durable; poll status_url for storage and scoring. */
export const IngestAccepted = z.strictObject({
  job_id: z.uuid(),
  status_url: z.string().describe('GET it to poll the job'),
  accepted: z.number().int().describe('epochs accepted'),
});

/** An ingest job's result: the counts once its epochs are stored; the scoring's once it is scored. */
export const IngestJobResult = z.strictObject({
  accepted: z.number().int(),
  inserted: z.number().int().describe('epochs new to the recording'),
  duplicates: z.number().int().describe('epochs it already held (kept as they were)'),
  predicted: z.number().int().optional().describe("the job's epochs carrying a prediction of model_version (once scored)"),
  rescored: z.number().int().optional().describe("other epochs of the night whose predictions the scoring changed"),
  model_version: z.string().nullable().optional().describe('null: no compatible active model, epochs stored without predictions'),
});
