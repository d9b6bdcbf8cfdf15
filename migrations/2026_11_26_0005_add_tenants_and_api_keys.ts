import { sql, type Kysely } from 'kysely';

// Everything created before tenancy belongs to the built-in `default` tenant (the admin token's).
export async function up(db: Kysely<any>): Promise<void> {
  for (const table of ['devices', 'recordings', 'jobs']) {
    await db.schema
      .alterTable(table)
      .addColumn('tenant', 'text', (c) => c.notNull().defaultTo('default'))
      .execute();
  }
  // external_id is unique per tenant, not globally: two customers may both own a "watch-1".
  await sql`ALTER TABLE devices DROP CONSTRAINT devices_external_id_key`.execute(db);
  await db.schema.createIndex('devices_tenant_external_id_key').on('devices').columns(['tenant', 'external_id']).unique().execute();
  await db.schema.createIndex('recordings_tenant_idx').on('recordings').columns(['tenant', 'id']).execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('scopes', sql`text[]`, (c) => c.notNull())
    // Only a SHA-256 of the key is kept; keys are 256-bit random, so a fast hash is enough.
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('key_prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('last_used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('api_keys_tenant_idx').on('api_keys').columns(['tenant', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('api_keys').ifExists().execute();
  await db.schema.dropIndex('recordings_tenant_idx').ifExists().execute();
  await db.schema.dropIndex('devices_tenant_external_id_key').ifExists().execute();
  await sql`ALTER TABLE devices ADD CONSTRAINT devices_external_id_key UNIQUE (external_id)`.execute(db);
  for (const table of ['devices', 'recordings', 'jobs']) {
    await db.schema.alterTable(table).dropColumn('tenant').execute();
  }
}
