import type { JobRow } from '../db/database.js';
import type { Job } from './jobs.schemas.js';

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
  };
}

export const jobStatusUrl = (id: string): string => `/v1/jobs/${id}`;
