import { sql, type Kysely } from 'kysely';
import { makeHypertable } from './timescale.js';

// Ground-truth sleep stages scored by a technician (AASM names), one row per labelled epoch. ts is
// derived from the epoch index like in epochs and predictions, and joins the key because TimescaleDB
// requires the partitioning column in every unique index.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('labels')
    .addColumn('recording_id', 'uuid', (c) => c.notNull().references('recordings.id').onDelete('cascade'))
    .addColumn('epoch_index', 'integer', (c) => c.notNull().check(sql`epoch_index >= 0`))
    .addColumn('stage', 'text', (c) => c.notNull().check(sql`stage IN ('W', 'N1', 'N2', 'N3', 'REM')`))
    .addColumn('ts', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('labels_pkey', ['recording_id', 'epoch_index', 'ts'])
    .execute();
  await makeHypertable(db, 'labels', '7 days');
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('labels').ifExists().execute();
}
