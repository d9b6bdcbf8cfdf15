import { sql, type Kysely } from 'kysely';
import { makeHypertable } from './timescale.js';

// Predictions are kept per model version, side by side; no foreign key to epochs because
// TimescaleDB cannot reference a hypertable.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('predictions')
    .addColumn('recording_id', 'uuid', (c) => c.notNull().references('recordings.id').onDelete('cascade'))
    .addColumn('epoch_index', 'integer', (c) => c.notNull())
    .addColumn('ts', 'timestamptz', (c) => c.notNull())
    .addColumn('model_version', 'text', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('probabilities', sql`real[]`, (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('predictions_pkey', ['recording_id', 'model_version', 'epoch_index', 'ts'])
    .execute();
  await makeHypertable(db, 'predictions', '7 days');
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('predictions').ifExists().execute();
}
