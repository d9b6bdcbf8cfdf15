// Queries and responses of the nights endpoints. The responses are described here and the OpenAPI
// document is generated from them (src/openapi/routes.catalog.ts).
import { z } from 'zod';
import { QueryLocalDate } from '../http/query.js';
import { Summary } from '../summary/summary.schemas.js';
import { QUALITY_CODES, QUALITY_PRECEDENCE } from './night-quality.js';

export const MAX_RANGE_DAYS = 366;
export const MAX_WINDOW_DAYS = 90;
/** Nights in one nights response (a device with more in its range is asked for a shorter one). */
export const MAX_NIGHTS = 1000;

const LocalDate = z.iso.date();
const Version = z.string().min(1).max(64).optional();

export const NightsQuery = z.strictObject({
  from: QueryLocalDate.describe('first local date (inclusive)'),
  to: QueryLocalDate.describe('local date after the last one (exclusive)'),
  model_version: Version,
});

export const TrendsQuery = NightsQuery.extend({
  window: z.coerce.number().int().min(1).max(MAX_WINDOW_DAYS).default(30).describe('days before each date that its rolling means cover'),
});

export const SegmentsQuery = z.strictObject({
  model_version: Version,
  short_wake_max_seconds: z.coerce.number().int().min(0).max(3600).default(180).describe('wake runs up to this long inside sleep are short wakes'),
});

const Iso = z.iso.datetime();
const classMap = <T extends z.ZodType>(value: T) => z.record(z.string(), value).describe("keyed by the model's class names");

export const Quality = z.strictObject({
  code: z.enum(QUALITY_CODES).describe(`the first that applies of ${QUALITY_PRECEDENCE.join(' > ')}; ok when none does`),
  reasons: z.array(z.strictObject({ code: z.enum(QUALITY_PRECEDENCE), message: z.string() })).describe('every condition that applies, in precedence order'),
});

export const NightItem = z.strictObject({
  date: LocalDate.describe('local date the data ends on'),
  recording_id: z.uuid(),
  is_main_sleep: z.boolean().describe("the date's longest time in bed; the others are naps"),
  start: Iso,
  end: Iso.describe('end of the last stored epoch'),
  timezone: z.string().describe('the zone the date is in (fixed when the recording closed)'),
  closed: z.boolean().describe('false: an open recording, summarised now'),
  model_version: z.string(),
  quality: Quality,
  summary: Summary.nullable().describe('as GET /v1/recordings/{id}/summary answers; null when not_scored'),
});

export const NightsResponse = z.strictObject({
  device_id: z.uuid(),
  model_version: z.string(),
  from: LocalDate,
  to: LocalDate,
  items: z.array(NightItem).describe('by date, then start'),
  open_nights_omitted: z.number().int().describe('open recordings over NIGHTS_OPEN_LIMIT, not summarised'),
});

const nullableFigures = {
  tst_min: z.number().nullable(),
  se_pct: z.number().nullable(),
  waso_min: z.number().nullable(),
  sol_min: z.number().nullable(),
  rem_latency_min: z.number().nullable(),
  minutes: classMap(z.number()).nullable(),
};

export const TrendItem = z.strictObject({
  date: LocalDate,
  recording_id: z.uuid().nullable().describe("the date's main sleep"),
  quality: z.enum(QUALITY_CODES).nullable().describe("the main sleep's quality; null without a night"),
  ...nullableFigures,
  window: z
    .strictObject({ nights: z.number().int().describe('ok main sleeps in the window'), ...nullableFigures })
    .describe('means over the ok main sleeps of the `window` dates before this one'),
});

export const TrendsResponse = z.strictObject({
  device_id: z.uuid(),
  model_version: z.string(),
  labels: z.array(z.string()),
  from: LocalDate,
  to: LocalDate,
  window: z.number().int(),
  items: z.array(TrendItem).describe('one per date; figures null unless the main sleep is ok'),
  open_nights_omitted: z.number().int(),
});

export const SegmentsResponse = z.strictObject({
  recording_id: z.uuid(),
  model_version: z.string(),
  labels: z.array(z.string()),
  start: Iso,
  end: Iso,
  short_wake_max_seconds: z.number().int(),
  segments: z.array(z.strictObject({ start: Iso, stage: z.string().nullable().describe('null: unscored'), seconds: z.number() })),
  short_wakes: z.array(z.strictObject({ start: Iso, seconds: z.number() })),
});
