import { z } from 'zod';

const Iso = z.iso.datetime();
const minutes = z.number().nullable();

const StageFigures = z.strictObject({
  minutes: z.number(),
  pct_tst: z.number().nullable().describe('100 · minutes / TST for sleep classes; null for W or when TST is 0'),
  latency_min: z.number().nullable().describe('first epoch of the class from the start; null when absent'),
});

/** GET /v1/recordings/{id}/summary: sleep statistics of the predicted hypnogram (YASA definitions). */
export const Summary = z.strictObject({
  recording_id: z.uuid(),
  model_version: z.string(),
  labels: z.array(z.string()),
  epoch_seconds: z.number().int(),
  start: Iso,
  end: Iso,
  first_epoch_index: z.number().int(),
  last_epoch_index: z.number().int(),
  epochs: z.number().int(),
  tib_min: z.number().describe('time in bed: every epoch, unscored included'),
  spt_min: z.number().describe('sleep period: first to last sleep epoch'),
  waso_min: z.number(),
  tst_min: z.number(),
  sol_min: minutes,
  sol_5min_min: minutes.describe('start of the first 5 minutes of uninterrupted sleep'),
  se_pct: z.number().nullable(),
  sme_pct: z.number().nullable(),
  unscored_min: z.number(),
  rem_latency_min: minutes,
  stages: z.record(z.string(), StageFigures).describe("keyed by the model's class names"),
  nrem: StageFigures.nullable().describe('totals over the NREM classes when the label map splits NREM'),
  awakenings: z.number().int(),
  sfi_per_hour: z.number().nullable(),
  transitions: z.strictObject({
    labels: z.array(z.string()),
    counts: z.array(z.array(z.number().int())).describe('from in rows'),
    probabilities: z.array(z.array(z.number().nullable())),
  }),
});
export type Summary = z.infer<typeof Summary>;
