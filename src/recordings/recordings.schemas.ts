import { z } from 'zod';
import { IsoTimestamp } from '../http/query.js';

export const ListRecordingsQuery = z.strictObject({
  device_id: z.string().max(100).optional(),
  from: IsoTimestamp.optional().describe('started_at >= from'),
  to: IsoTimestamp.optional().describe('started_at < to'),
  // Each open recording of a page is measured over its epochs: pages stay small.
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

const Iso = z.iso.datetime();

/** A recording as created (201 of POST /v1/recordings). */
export const Recording = z.strictObject({
  id: z.uuid(),
  device_id: z.uuid(),
  started_at: Iso,
  feature_schema_version: z.string(),
  epoch_seconds: z.number().int(),
  metadata: z.record(z.string(), z.unknown()),
  created_at: Iso,
  closed_at: Iso.nullable().describe('set by :close or the idle closer; later ingests answer 409 recording_closed'),
});
export type Recording = z.infer<typeof Recording>;

/** A recording with its night: the items of GET /v1/recordings and the answer of :close. */
export const RecordingWithNight = Recording.extend({
  epoch_count: z.number().int(),
  ended_at: Iso.nullable().describe('end of the last stored epoch'),
  date: z.iso.date().nullable().describe("local date (device time zone) the data ends on; fixed when closed"),
});

export const RecordingPage = z.strictObject({
  items: z.array(RecordingWithNight).describe('newest first'),
  next_cursor: z.string().nullable(),
});
export type RecordingWithNight = z.infer<typeof RecordingWithNight>;

/** GET /v1/recordings/{id}: the recording, its night and the bounds of its stored epochs. */
export const RecordingDetail = RecordingWithNight.extend({
  first_epoch_index: z.number().int().nullable().describe('null while nothing is stored'),
  last_epoch_index: z.number().int().nullable(),
});

export const EpochPage = z.strictObject({
  items: z.array(z.strictObject({ epoch_index: z.number().int(), ts: Iso, features: z.array(z.number()).describe("in the order of the feature schema's features") })),
  next_cursor: z.string().nullable(),
});
