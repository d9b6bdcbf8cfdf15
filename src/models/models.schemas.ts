import { z } from 'zod';

const Transform = z.union([
  z.strictObject({ feature: z.string(), op: z.literal('log1p') }),
  z.strictObject({ feature: z.string(), op: z.literal('log'), offset: z.number() }),
  z.strictObject({ feature: z.string(), op: z.literal('clip'), min: z.number().optional(), max: z.number().optional() }),
]);

export const Model = z.strictObject({
  version: z.string(),
  active: z.boolean(),
  feature_schema_version: z.string(),
  features: z.array(z.string()).describe('the feature schema: the order of features in every epoch'),
  labels: z.array(z.string()).describe('the classes the model predicts'),
  transforms: z.array(Transform).describe('per-feature transforms applied before scoring'),
  metadata: z.record(z.string(), z.unknown()),
  loaded_at: z.iso.datetime(),
});

export const ModelList = z.strictObject({
  active_version: z.string().nullable(),
  models: z.array(Model),
  invalid: z.array(z.strictObject({ version: z.string(), error: z.string() })).describe('model folders that failed to load, and why'),
});

export const ReloadOutcome = z.strictObject({
  active_version: z.string(),
  previous_version: z.string().nullable(),
  loaded_at: z.iso.datetime(),
  processes: z
    .strictObject({
      expected: z.number().int().describe('other processes that heard the switch'),
      acknowledged: z.number().int(),
      failed: z.array(z.strictObject({ process: z.string(), error: z.string() })),
    })
    .describe('the other API and worker processes, switched within a few seconds'),
});
