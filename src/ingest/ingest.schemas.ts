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
