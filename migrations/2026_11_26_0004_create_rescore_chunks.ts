import { sql, type Kysely } from 'kysely';

// Bulk re-scoring: a parent row in `jobs` (type 'rescore'), its planning state here, and one row per
// chunk of epochs. Chunk rows are the truth about progress and counts: a chunk's predictions and
// its state change commit together, so each chunk counts exactly once however often it runs.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('rescore_plans')
    .addColumn('job_id', 'uuid', (c) => c.primaryKey().references('jobs.id').onDelete('cascade'))
    .addColumn('model_version', 'text', (c) => c.notNull())
    // Keyset position of the planner over recordings (ordered by id); null before the first page.
    .addColumn('cursor', 'uuid')
    .addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('planned_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // No foreign key to recordings: a recording deleted mid-run must fail its chunk, not erase it.
  await db.schema
    .createTable('rescore_chunks')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('job_id', 'uuid', (c) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('recording_id', 'uuid', (c) => c.notNull())
    .addColumn('from_index', 'integer', (c) => c.notNull())
    .addColumn('to_index', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) =>
      c.notNull().defaultTo('queued').check(sql`state IN ('queued', 'active', 'completed', 'failed', 'cancelled')`),
    )
    // Epochs planned for this chunk; `scored` is what the chunk actually wrote.
    .addColumn('epochs', 'integer', (c) => c.notNull())
    .addColumn('scored', 'integer')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('rescore_chunks_range_key', ['job_id', 'recording_id', 'from_index'])
    .execute();
  await sql`CREATE INDEX rescore_chunks_job_state_idx ON rescore_chunks (job_id, state)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('rescore_chunks').ifExists().execute();
  await db.schema.dropTable('rescore_plans').ifExists().execute();
}
