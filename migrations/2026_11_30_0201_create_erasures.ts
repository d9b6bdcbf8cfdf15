import { sql, type Kysely } from 'kysely';

// The subject of a running erase. Its id lives here, not in the erase job's row, so that once the
// erase completes (this row is deleted with the subject) nothing names what was erased. The
// unique subject makes a second DELETE of the same id find the running erase instead of racing it.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('erasures')
    .addColumn('job_id', 'uuid', (c) => c.primaryKey().references('jobs.id').onDelete('cascade'))
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('subject_kind', 'text', (c) => c.notNull().check(sql`subject_kind IN ('device', 'recording')`))
    .addColumn('subject_id', 'uuid', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('erasures').ifExists().execute();
}
