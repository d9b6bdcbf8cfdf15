import { sql, type Kysely } from 'kysely';
import { ensureTimescale, makeHypertable } from './timescale.js';

export async function up(db: Kysely<any>): Promise<void> {
  await ensureTimescale(db);

  await db.schema
    .createTable('devices')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('external_id', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text')
    .addColumn('model', 'text')
    .addColumn('firmware', 'text')
    .addColumn('metadata', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('recordings')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('device_id', 'uuid', (c) => c.notNull().references('devices.id').onDelete('cascade'))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('feature_schema_version', 'text', (c) => c.notNull())
    .addColumn('epoch_seconds', 'integer', (c) => c.notNull().defaultTo(30))
    .addColumn('metadata', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('recordings_device_idx').on('recordings').columns(['device_id', 'started_at']).execute();

  // ts is derived from the epoch index, so (recording_id, epoch_index) alone is unique; ts joins the
  // key because TimescaleDB requires the partitioning column in every unique index.
  await db.schema
    .createTable('epochs')
    .addColumn('recording_id', 'uuid', (c) => c.notNull().references('recordings.id').onDelete('cascade'))
    .addColumn('epoch_index', 'integer', (c) => c.notNull().check(sql`epoch_index >= 0`))
    .addColumn('ts', 'timestamptz', (c) => c.notNull())
    .addColumn('features', sql`real[]`, (c) => c.notNull())
    .addPrimaryKeyConstraint('epochs_pkey', ['recording_id', 'epoch_index', 'ts'])
    .execute();
  await makeHypertable(db, 'epochs', '7 days');

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) =>
      c.notNull().check(sql`state IN ('queued', 'active', 'completed', 'failed', 'cancelled')`),
    )
    .addColumn('recording_id', 'uuid', (c) => c.references('recordings.id').onDelete('cascade'))
    .addColumn('params', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('progress', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('result', 'jsonb')
    .addColumn('error', 'jsonb')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // The sweeper scans unfinished jobs by age; the retention sweep scans finished ones.
  await sql`CREATE INDEX jobs_unfinished_idx ON jobs (updated_at) WHERE state IN ('queued', 'active')`.execute(db);
  await sql`CREATE INDEX jobs_finished_idx ON jobs (finished_at) WHERE finished_at IS NOT NULL`.execute(db);

  await db.schema
    .createTable('ingest_payloads')
    .addColumn('job_id', 'uuid', (c) => c.primaryKey().references('jobs.id').onDelete('cascade'))
    .addColumn('recording_id', 'uuid', (c) => c.notNull().references('recordings.id').onDelete('cascade'))
    .addColumn('epoch_indices', sql`integer[]`, (c) => c.notNull())
    .addColumn('features', 'bytea', (c) => c.notNull())
    .addColumn('n_features', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['ingest_payloads', 'jobs', 'epochs', 'recordings', 'devices']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
