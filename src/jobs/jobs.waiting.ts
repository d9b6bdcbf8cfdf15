import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.js';

/** The job types clients wait on (rows of `jobs`); night scorings and retention passes have none. */
export const JOB_TYPES = ['ingest', 'predict', 'rescore', 'erase'] as const;

/**
 * Age in seconds of the oldest unfinished (queued or active, so postponed and awaiting-scoring
 * included) job of each type. One probe of jobs_unfinished_type_created_idx per type: the work is
 * bounded by the number of types, not of jobs. Types with nothing unfinished are left out.
 */
export async function oldestUnfinishedAges(db: Kysely<Database>): Promise<Array<{ type: string; age_seconds: number }>> {
  const types = sql.join(JOB_TYPES.map((t) => sql`(${t}::text)`));
  const { rows } = await sql<{ type: string; age_seconds: number }>`
    SELECT t.type, extract(epoch FROM clock_timestamp() - o.created_at)::float8 AS age_seconds
    FROM (VALUES ${types}) AS t(type)
    CROSS JOIN LATERAL (
      SELECT created_at FROM jobs
      WHERE jobs.type = t.type AND state IN ('queued', 'active')
      ORDER BY created_at LIMIT 1
    ) o`.execute(db);
  return rows;
}
