import { sql, type Kysely } from 'kysely';

// Every worker's dispatcher deletes delivery attempts past the retry window once a minute; without
// an index on `at` each of those deletes scans the whole table.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX IF NOT EXISTS webhook_attempts_at_idx ON webhook_attempts (at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS webhook_attempts_at_idx`.execute(db);
}
