import { sql, type Kysely } from 'kysely';

// Operator powers (every tenant's keys, cross-tenant evaluation and re-score, Bull Board, model
// reload) used to come from belonging to the tenant named `default`; they now come from the
// `operator` scope. The rule for existing keys: a key of `default` that holds `admin` could manage
// every tenant's keys, so it keeps its powers and gains `operator`; every other key of `default`
// (read, ingest) becomes an ordinary key of that tenant and no longer sees other tenants.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    UPDATE api_keys SET scopes = array_append(scopes, 'operator')
    WHERE tenant = 'default' AND 'admin' = ANY(scopes) AND NOT 'operator' = ANY(scopes)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`UPDATE api_keys SET scopes = array_remove(scopes, 'operator') WHERE 'operator' = ANY(scopes)`.execute(db);
}
