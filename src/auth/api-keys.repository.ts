import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { Scope } from './scopes.js';

export interface ApiKeyRecord {
  id: string;
  tenant: string;
  name: string | null;
  scopes: Scope[];
  key_prefix: string;
  created_at: Date;
  revoked_at: Date | null;
  expires_at: Date | null;
  last_used_at: Date | null;
}

const COLUMNS = ['id', 'tenant', 'name', 'scopes', 'key_prefix', 'created_at', 'revoked_at', 'expires_at', 'last_used_at'] as const;

export const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** A new random key; the caller shows it once, only its hash is stored. */
export function generateKey(): string {
  return `nct_${randomBytes(32).toString('base64url')}`;
}

export async function createApiKey(
  db: Kysely<Database>,
  fields: { tenant: string; scopes: readonly Scope[]; name?: string | null | undefined; expiresAt?: Date | null | undefined },
): Promise<{ record: ApiKeyRecord; key: string }> {
  const key = generateKey();
  const record = await db
    .insertInto('api_keys')
    .values({ tenant: fields.tenant, scopes: [...fields.scopes], name: fields.name ?? null, key_hash: hashKey(key), key_prefix: key.slice(0, 12), expires_at: fields.expiresAt ?? null })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return { record: record as ApiKeyRecord, key };
}

/** The key if it exists, is not revoked and has not expired (by the database's clock). */
export async function findActiveKey(db: Kysely<Database>, key: string): Promise<ApiKeyRecord | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .select(COLUMNS)
    .where('key_hash', '=', hashKey(key))
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
    .executeTakeFirst();
  return row as ApiKeyRecord | undefined;
}

/**
 * Records a use at most once a minute per key: the condition makes a second writer within the
 * minute (another API process) a no-op.
 */
export async function touchApiKey(db: Kysely<Database>, id: string): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ last_used_at: sql`now()` })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`)]))
    .execute();
}

/** Revokes a key of `tenant` (any tenant when null); the revoked record, or undefined when no such active key exists. */
export async function revokeApiKey(db: Kysely<Database>, id: string, tenant: string | null): Promise<ApiKeyRecord | undefined> {
  let query = db.updateTable('api_keys').set({ revoked_at: sql`now()` }).where('id', '=', id).where('revoked_at', 'is', null);
  if (tenant !== null) query = query.where('tenant', '=', tenant);
  return (await query.returning(COLUMNS).executeTakeFirst()) as ApiKeyRecord | undefined;
}

export async function listApiKeys(db: Kysely<Database>, tenant: string): Promise<ApiKeyRecord[]> {
  const rows = await db.selectFrom('api_keys').select(COLUMNS).where('tenant', '=', tenant).orderBy('created_at').execute();
  return rows as ApiKeyRecord[];
}
