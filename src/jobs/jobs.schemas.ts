import { z } from 'zod';
import { JOB_STATES } from '../db/database.js';
import { EraseJobResult } from '../erase/erase.schemas.js';
import { IngestJobResult } from '../ingest/ingest.schemas.js';
import { PredictJobResult } from '../predictions/predict.schemas.js';
import { RescoreJobResult } from '../rescore/rescore.schemas.js';

const Iso = z.iso.datetime();

const JobProgress = z.strictObject({
  done: z.number().int(),
  total: z.number().int().nullable().describe('null while not yet known (an erase before it counted)'),
});
const JobFailure = z.strictObject({ message: z.string(), attempts: z.number().int() }).describe('why it failed');

const common = {
  id: z.uuid(),
  state: z.enum(JOB_STATES),
  recording_id: z.uuid().nullable(),
  progress: JobProgress,
  error: JobFailure.nullable(),
  attempts: z.number().int(),
  created_at: Iso,
  started_at: Iso.nullable(),
  finished_at: Iso.nullable(),
};

/** A job as polled: `type` says which result it carries (null until there is one). */
export const Job = z.discriminatedUnion('type', [
  z.strictObject({ ...common, type: z.literal('ingest'), result: IngestJobResult.nullable() }),
  z.strictObject({ ...common, type: z.literal('predict'), result: PredictJobResult.nullable() }),
  z.strictObject({ ...common, type: z.literal('rescore'), result: RescoreJobResult.nullable() }),
  z.strictObject({ ...common, type: z.literal('erase'), result: EraseJobResult.nullable() }),
]);
export type Job = z.infer<typeof Job>;

/** 202 of the routes that start a job: poll status_url. */
export const JobAccepted = z.strictObject({
  job_id: z.uuid(),
  status_url: z.string().describe('GET it to poll the job'),
  model_version: z.string(),
});
