import { sql, type Kysely } from 'kysely';

// noctis_job_oldest_unfinished_age_seconds reads the oldest unfinished job of each type at every
// scrape: with this partial index that is one index probe per type, however many jobs are stored.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX IF NOT EXISTS jobs_unfinished_type_created_idx ON jobs (type, created_at) WHERE state IN ('queued', 'active')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS jobs_unfinished_type_created_idx`.execute(db);
}
