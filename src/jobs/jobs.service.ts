import type { JobRow } from '../db/database.js';
import type { Job } from './jobs.schemas.js';

/**
 * A job row as the API shows it. The JSON columns are written only by the processor of the row's
 * type, in the shapes Job declares per type; the tests validate every polled job against them.
 */
export function toJobResource(row: JobRow): Job {
  return {
    id: row.id,
    type: row.type,
    state: row.state,
    recording_id: row.recording_id,
    progress: row.progress,
    result: row.result ?? null,
    error: row.error ?? null,
    attempts: row.attempts,
    created_at: row.created_at.toISOString(),
    started_at: row.started_at?.toISOString() ?? null,
    finished_at: row.finished_at?.toISOString() ?? null,
  } as Job;
}

export const jobStatusUrl = (id: string): string => `/v1/jobs/${id}`;
