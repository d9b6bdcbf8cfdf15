import { sql, type Kysely } from 'kysely';
import { hasTimescale } from './timescale.js';

// Plain PostgreSQL deletes expired epochs and predictions by age in batches (retention/); without an
// index on ts each batch would scan the table. Hypertables already have one (create_hypertable's
// default ts index) and drop whole chunks instead, so they get none.
export async function up(db: Kysely<any>): Promise<void> {
  if (await hasTimescale(db)) return;
  await sql`CREATE INDEX IF NOT EXISTS epochs_ts_idx ON epochs (ts)`.execute(db);
  await sql`CREATE INDEX IF NOT EXISTS predictions_ts_idx ON predictions (ts)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS epochs_ts_idx`.execute(db);
  await sql`DROP INDEX IF EXISTS predictions_ts_idx`.execute(db);
}
