import type { Kysely } from 'kysely';

// Keys may expire: past `expires_at` a key answers 401 like a revoked one. Null: never.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('expires_at', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_keys').dropColumn('expires_at').execute();
}
