import { z } from 'zod';
import { JOB_STATES } from '../db/database.js';

const Iso = z.iso.datetime();

export const Job = z.strictObject({
  id: z.uuid(),
  type: z.string().describe('ingest, predict, rescore, rescore_chunk, …'),
  state: z.enum(JOB_STATES),
  recording_id: z.uuid().nullable(),
  progress: z.unknown().describe('per job type, e.g. {"done", "total"}'),
  result: z.unknown().describe('per job type; null until finished'),
  error: z.unknown().describe('why it failed; null otherwise'),
  attempts: z.number().int(),
  created_at: Iso,
  started_at: Iso.nullable(),
  finished_at: Iso.nullable(),
});
export type Job = z.infer<typeof Job>;

/** 202 of the routes that start a job: poll status_url. */
export const JobAccepted = z.strictObject({
  job_id: z.uuid(),
  status_url: z.string().describe('GET it to poll the job'),
  model_version: z.string(),
});
