import { sql, type Kysely } from 'kysely';

// Night-level scoring. A context model's predictions depend on the whole stored night, so ingest
// stores epochs and asks for the recording to be scored; one scoring per recording runs at a time
// and completes every ingest job whose epochs it covered.
export async function up(db: Kysely<any>): Promise<void> {
  // One row per recording that ever asked for scoring. `generation` names the queued scoring job:
  // a scoring bumps it before it reads the night, so an ingest committed after that bump queues a
  // new job instead of relying on the one already running.
  await db.schema
    .createTable('night_scoring')
    .addColumn('recording_id', 'uuid', (c) => c.primaryKey().references('recordings.id').onDelete('cascade'))
    .addColumn('generation', 'integer', (c) => c.notNull().defaultTo(0))
    // First and latest ingest waiting for a scoring: the debounce and its ceiling.
    .addColumn('pending_since', 'timestamptz')
    .addColumn('last_request_at', 'timestamptz')
    // Epochs scored by upload-driven scorings of this night so far, and how often a scoring went
    // ahead over budget because the uploads had settled: what bounds rescoring work per night.
    .addColumn('scored_epochs', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('settle_overrides', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  // When each version last scored each night (the predictions response's `scored_at`).
  await db.schema
    .createTable('night_scores')
    .addColumn('recording_id', 'uuid', (c) => c.notNull().references('recordings.id').onDelete('cascade'))
    .addColumn('model_version', 'text', (c) => c.notNull())
    .addColumn('scored_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('night_scores_pkey', ['recording_id', 'model_version'])
    .execute();

  // An ingest job whose epochs are stored and that waits for its night to be scored.
  await db.schema.alterTable('jobs').addColumn('awaits_scoring', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
  await sql`CREATE INDEX jobs_awaits_scoring_idx ON jobs (recording_id) WHERE awaits_scoring`.execute(db);

  // Re-score chunks hold whole recordings (several short ones packed together); rows planned before
  // this change keep their single-recording index range.
  await db.schema.alterTable('rescore_chunks').addColumn('recording_ids', sql`uuid[]`).execute();
  await sql`ALTER TABLE rescore_chunks ALTER COLUMN from_index DROP NOT NULL, ALTER COLUMN to_index DROP NOT NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DELETE FROM rescore_chunks WHERE from_index IS NULL OR to_index IS NULL`.execute(db);
  await sql`ALTER TABLE rescore_chunks ALTER COLUMN from_index SET NOT NULL, ALTER COLUMN to_index SET NOT NULL`.execute(db);
  await db.schema.alterTable('rescore_chunks').dropColumn('recording_ids').execute();
  await db.schema.dropIndex('jobs_awaits_scoring_idx').ifExists().execute();
  await db.schema.alterTable('jobs').dropColumn('awaits_scoring').execute();
  await db.schema.dropTable('night_scores').ifExists().execute();
  await db.schema.dropTable('night_scoring').ifExists().execute();
}
