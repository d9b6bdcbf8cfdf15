import { sql, type Kysely } from 'kysely';

// Who created or revoked keys, reloaded models, started or cancelled re-scores. Never secrets:
// keys appear by id and prefix only. Kept for AUDIT_RETENTION_DAYS (the workers' sweeper).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('audit_events')
    // The paging key: ids grow with insertion, so a page boundary never moves.
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('action', 'text', (c) => c.notNull())
    // api_key, admin_token, cli or schedule; the key and its tenant when a key acted.
    .addColumn('actor_kind', 'text', (c) => c.notNull())
    .addColumn('actor_tenant', 'text')
    .addColumn('actor_key_id', 'uuid')
    .addColumn('target_tenant', 'text')
    .addColumn('target_id', 'text')
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.createIndex('audit_events_at_idx').on('audit_events').column('at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_events').ifExists().execute();
}
