import { z } from 'zod';

// One NDJSON line of an export (documentation: the writers build these objects directly).
const ts = z.string().describe('ISO 8601 UTC');
export const ExportLine = z.discriminatedUnion('type', [
  z.object({ type: z.literal('device'), id: z.uuid(), external_id: z.string(), name: z.string().nullable(), model: z.string().nullable(), firmware: z.string().nullable(), metadata: z.unknown(), timezone: z.string(), created_at: ts }),
  z.object({ type: z.literal('recording'), id: z.uuid(), device_id: z.uuid(), started_at: ts, feature_schema_version: z.string(), epoch_seconds: z.number(), metadata: z.unknown(), created_at: ts, closed_at: ts.nullable(), feature_names: z.array(z.string()).nullable() }),
  z.object({ type: z.literal('epoch'), recording_id: z.uuid(), epoch_index: z.number().int(), ts, features: z.array(z.number()).describe('in the order of the recording line\'s feature_names') }),
  z.object({ type: z.literal('prediction'), recording_id: z.uuid(), model_version: z.string(), epoch_index: z.number().int(), ts, stage: z.string(), probabilities: z.array(z.number()), labels: z.array(z.string()).nullable().describe('the classes of probabilities; null when the version is no longer loaded') }),
  z.object({ type: z.literal('label'), recording_id: z.uuid(), epoch_index: z.number().int(), ts, stage: z.string() }),
  z.object({ type: z.literal('night'), recording_id: z.uuid(), date: z.string().nullable(), timezone: z.string(), start: ts.nullable(), end: ts.nullable(), epoch_count: z.number().int(), tib_min: z.number().nullable(), is_main_sleep: z.boolean(), summaries: z.array(z.object({ model_version: z.string(), summary: z.unknown() })) }),
]);
