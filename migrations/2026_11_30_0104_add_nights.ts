import { sql, type Kysely } from 'kysely';
import { makeHypertable } from './timescale.js';

// Nights: a device's time zone, a recording's close, and what closing stores. `recording_nights`
// holds one row per closed recording (its span, its local date, whether it is the main sleep of
// that date); `night_summaries` one row per closed recording and model version (the summary of that
// version's hypnogram and the figures trends read), a hypertable on the local date where
// TimescaleDB is present.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('devices').addColumn('timezone', 'text', (c) => c.notNull().defaultTo('UTC')).execute();
  await db.schema.alterTable('recordings').addColumn('closed_at', 'timestamptz').execute();

  // Listing: a tenant's devices oldest first, its recordings newest first, keyset-paged.
  await db.schema.createIndex('devices_tenant_created_idx').on('devices').columns(['tenant', 'created_at', 'id']).execute();
  await db.schema.createIndex('recordings_tenant_started_idx').on('recordings').columns(['tenant', 'started_at', 'id']).execute();
  // Open recordings: the idle closer's scan and the nights endpoints' few open nights per device.
  await sql`CREATE INDEX recordings_open_idx ON recordings (device_id, started_at) WHERE closed_at IS NULL`.execute(db);
  // The idle rule reads the latest ingest of a recording.
  await sql`CREATE INDEX jobs_ingest_recording_idx ON jobs (recording_id, created_at) WHERE type = 'ingest'`.execute(db);

  await db.schema
    .createTable('recording_nights')
    .addColumn('recording_id', 'uuid', (c) => c.primaryKey().references('recordings.id').onDelete('cascade'))
    .addColumn('device_id', 'uuid', (c) => c.notNull().references('devices.id').onDelete('cascade'))
    // The device's zone when the recording was closed: the date never moves with a later zone change.
    .addColumn('timezone', 'text', (c) => c.notNull())
    // Null while the recording has no stored epoch.
    .addColumn('night_date', 'date')
    .addColumn('first_epoch_index', 'integer')
    .addColumn('last_epoch_index', 'integer')
    .addColumn('epoch_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('start_at', 'timestamptz')
    .addColumn('end_at', 'timestamptz')
    .addColumn('tib_min', 'double precision')
    .addColumn('is_main_sleep', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('recording_nights_device_date_idx').on('recording_nights').columns(['device_id', 'night_date']).execute();

  // night_date joins the key because TimescaleDB requires the partitioning column in every unique
  // index; a recording has one date at a time (a date change rewrites its rows).
  await db.schema
    .createTable('night_summaries')
    .addColumn('recording_id', 'uuid', (c) => c.notNull().references('recordings.id').onDelete('cascade'))
    .addColumn('model_version', 'text', (c) => c.notNull())
    .addColumn('night_date', 'date', (c) => c.notNull())
    .addColumn('device_id', 'uuid', (c) => c.notNull())
    .addColumn('labels', sql`text[]`, (c) => c.notNull())
    .addColumn('tib_min', 'double precision', (c) => c.notNull())
    .addColumn('unscored_min', 'double precision', (c) => c.notNull())
    .addColumn('tst_min', 'double precision', (c) => c.notNull())
    .addColumn('waso_min', 'double precision', (c) => c.notNull())
    .addColumn('sol_min', 'double precision')
    .addColumn('se_pct', 'double precision')
    .addColumn('rem_latency_min', 'double precision')
    .addColumn('stage_minutes', 'jsonb', (c) => c.notNull())
    // The JSON of GET /v1/recordings/{id}/summary for this version, as computed: json, not jsonb,
    // so it is handed back as it was written (key order included) and never parsed on the way in.
    .addColumn('summary', 'json', (c) => c.notNull())
    .addColumn('computed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('night_summaries_pkey', ['recording_id', 'model_version', 'night_date'])
    .execute();
  await db.schema.createIndex('night_summaries_device_idx').on('night_summaries').columns(['device_id', 'model_version', 'night_date']).execute();
  // About a month of nights per chunk: a year of one device's nights is an index probe in 13 chunks.
  await makeHypertable(db, 'night_summaries', '30 days', 'night_date');
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('night_summaries').ifExists().execute();
  await db.schema.dropTable('recording_nights').ifExists().execute();
  for (const index of ['jobs_ingest_recording_idx', 'recordings_open_idx', 'recordings_tenant_started_idx', 'devices_tenant_created_idx']) {
    await db.schema.dropIndex(index).ifExists().execute();
  }
  await db.schema.alterTable('recordings').dropColumn('closed_at').execute();
  await db.schema.alterTable('devices').dropColumn('timezone').execute();
}
