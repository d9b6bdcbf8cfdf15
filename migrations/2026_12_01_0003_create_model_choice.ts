import { sql, type Kysely } from 'kysely';

// The model version a reload chose, kept in PostgreSQL (it used to live in Redis only, so a Redis
// restarted empty made starting processes fall back to the configuration while running ones kept
// the reload). One row; `seq` grows with every reload so a process can tell a choice it missed.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE IF NOT EXISTS model_choice (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      seq integer NOT NULL,
      version text NOT NULL,
      configured text,
      chosen_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS model_choice`.execute(db);
}
