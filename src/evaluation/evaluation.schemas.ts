// Response schemas of the evaluation routes. The service's return types are inferred from these, so
// the OpenAPI document (src/openapi/routes.catalog.ts) cannot drift from what the routes send.
import { z } from 'zod';
import { MAX_NIGHT_EPOCHS } from './evaluation.night.js';

const minutesOrNull = z.number().nullable();
const classMap = <T extends z.ZodType>(value: T) => z.record(z.string(), value).describe("keyed by the model's class names");

/** Night statistics of one hypnogram (definitions of GET /v1/recordings/{id}/summary). */
export const NightStatistics = z.strictObject({
  tst_min: z.number().describe('total sleep time: non-W epochs between the first and the last sleep epoch'),
  waso_min: z.number().describe('W inside the sleep period'),
  sol_min: minutesOrNull.describe('sleep onset latency: time before the first sleep epoch; null without sleep'),
  se_pct: z.number().nullable().describe('sleep efficiency: 100 · TST / time in bed'),
  spt_min: z.number().describe('sleep period time: first to last sleep epoch'),
  rem_latency_min: minutesOrNull.describe('first REM from sleep onset; null without a REM class, REM or sleep'),
  stage_minutes: classMap(z.number()).describe('minutes per class of the model'),
});
export type NightStatistics = z.infer<typeof NightStatistics>;

export const NightComparison = z
  .strictObject({
    first_epoch_index: z.number().int().describe('first epoch with both a label and a prediction'),
    last_epoch_index: z.number().int().describe('last epoch with both a label and a prediction'),
    epochs: z.number().int().describe('epoch slots first..last; a slot without both, or with a label the model cannot express, is unscored in both'),
    tib_min: z.number().describe('time in bed: every slot, unscored included'),
    unscored_min: z.number().describe('unscored slots (the same for labels and predictions)'),
    labels: NightStatistics.describe('of the labels mapped onto the model classes'),
    predicted: NightStatistics.describe('of the predictions'),
    difference: NightStatistics.describe('predicted − labels; null where either is null'),
  })
  .nullable()
  .describe(`null when first..last spans more than ${MAX_NIGHT_EPOCHS} epochs (not a night)`);
export type NightComparison = z.infer<typeof NightComparison>;

const Agreement = {
  n: z.number().int().describe('epochs with a label and a prediction, truth mapped onto the model classes'),
  unmapped: z.number().int().describe('such epochs whose label has no class in the model'),
  accuracy: z.number().nullable(),
  cohen_kappa: z.number().nullable(),
  confusion: z.strictObject({ labels: z.array(z.string()), matrix: z.array(z.array(z.number().int())).describe('truth in rows') }),
  per_class: classMap(
    z.strictObject({ precision: z.number().nullable(), recall: z.number().nullable(), f1: z.number().nullable(), support: z.number().int() }),
  ),
};

export const RecordingEvaluation = z.strictObject({
  recording_id: z.string(),
  model_version: z.string(),
  labels: z.array(z.string()),
  ...Agreement,
  night: NightComparison,
});
export type RecordingEvaluation = z.infer<typeof RecordingEvaluation>;

export const StatisticError = z.strictObject({
  n: z.number().int().describe('recordings where both values are defined'),
  mae: z.number().nullable().describe('mean absolute error; null when n is 0'),
  mean_signed_error: z.number().nullable().describe('mean of predicted − labels; null when n is 0'),
});
export type StatisticError = z.infer<typeof StatisticError>;

export const NightErrors = z
  .strictObject({
    tst_min: StatisticError,
    waso_min: StatisticError,
    sol_min: StatisticError,
    se_pct: StatisticError,
    spt_min: StatisticError,
    rem_latency_min: StatisticError,
    stage_minutes: classMap(StatisticError),
  })
  .describe('errors of the night statistics over the evaluated recordings');
export type NightErrors = z.infer<typeof NightErrors>;

const Spread = z.strictObject({
  n: z.number().int(),
  mean: z.number().nullable(),
  sd: z.number().nullable().describe('sample standard deviation; null below two values'),
  min: z.number().nullable(),
  max: z.number().nullable(),
});

export const ModelEvaluation = z.strictObject({
  model_version: z.string(),
  labels: z.array(z.string()),
  recordings: z.number().int().describe('labelled recordings with predictions of the version'),
  labelled_recordings: z.number().int(),
  ...Agreement,
  per_recording_kappa: Spread,
  night_errors: NightErrors,
  per_recording: z.array(
    z.strictObject({
      recording_id: z.string(),
      n: z.number().int(),
      cohen_kappa: z.number().nullable(),
      night_difference: NightStatistics.nullable().describe('predicted − labels (see the recording evaluation); null when night is'),
    }),
  ),
});
export type ModelEvaluation = z.infer<typeof ModelEvaluation>;
