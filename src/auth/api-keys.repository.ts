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
}

export const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** A new random key; the caller shows it once, only its hash is stored. */
export function generateKey(): string {
  return `nct_${randomBytes(32).toString('base64url')}`;
}

export async function createApiKey(
  db: Kysely<Database>,
  fields: { tenant: string; scopes: readonly Scope[]; name?: string | null | undefined },
): Promise<{ record: ApiKeyRecord; key: string }> {
  const key = generateKey();
  const record = await db
    .insertInto('api_keys')
    .values({ tenant: fields.tenant, scopes: [...fields.scopes], name: fields.name ?? null, key_hash: hashKey(key), key_prefix: key.slice(0, 12) })
    .returning(['id', 'tenant', 'name', 'scopes', 'key_prefix', 'created_at', 'revoked_at'])
    .executeTakeFirstOrThrow();
  return { record: record as ApiKeyRecord, key };
}

export async function findActiveKey(db: Kysely<Database>, key: string): Promise<ApiKeyRecord | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .select(['id', 'tenant', 'name', 'scopes', 'key_prefix', 'created_at', 'revoked_at'])
    .where('key_hash', '=', hashKey(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return row as ApiKeyRecord | undefined;
}

/** Revokes a key of `tenant` (any tenant when null); false when no such active key exists. */
export async function revokeApiKey(db: Kysely<Database>, id: string, tenant: string | null): Promise<boolean> {
  let query = db.updateTable('api_keys').set({ revoked_at: sql`now()` }).where('id', '=', id).where('revoked_at', 'is', null);
  if (tenant !== null) query = query.where('tenant', '=', tenant);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function listApiKeys(db: Kysely<Database>, tenant: string): Promise<ApiKeyRecord[]> {
  const rows = await db
    .selectFrom('api_keys')
    .select(['id', 'tenant', 'name', 'scopes', 'key_prefix', 'created_at', 'revoked_at'])
    .where('tenant', '=', tenant)
    .orderBy('created_at')
    .execute();
  return rows as ApiKeyRecord[];
}
