import { sql, type Kysely } from 'kysely';

// An accepted batch's float32 bytes do not compress: PostgreSQL tried pglz on every insert, failed,
// and stored them uncompressed anyway. EXTERNAL keeps them out of line without trying (about 0.3 ms
// of backend CPU per night saved on the accept path).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE ingest_payloads ALTER COLUMN features SET STORAGE EXTERNAL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE ingest_payloads ALTER COLUMN features SET STORAGE EXTENDED`.execute(db);
}
