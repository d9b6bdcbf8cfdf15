import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.js';

/** Which version the last reload chose, under which configured version, and its number. */
export interface ModelChoice {
  readonly seq: number;
  readonly version: string;
  readonly configured: string | null;
}

export async function readModelChoice(db: Kysely<Database>): Promise<ModelChoice | undefined> {
  return db.selectFrom('model_choice').select(['seq', 'version', 'configured']).executeTakeFirst();
}

/** Records a reload's choice as the next one (seq + 1). */
export async function writeModelChoice(db: Kysely<Database>, version: string, configured: string | null): Promise<ModelChoice> {
  return db
    .insertInto('model_choice')
    .values({ seq: 1, version, configured })
    .onConflict((oc) => oc.column('singleton').doUpdateSet({ seq: sql`model_choice.seq + 1`, version, configured, chosen_at: sql`now()` }))
    .returning(['seq', 'version', 'configured'])
    .executeTakeFirstOrThrow();
}

/** Stores an earlier release's choice as the first one, unless a choice exists already (then that one). */
export async function seedModelChoice(db: Kysely<Database>, version: string, configured: string | null): Promise<ModelChoice | undefined> {
  await db.insertInto('model_choice').values({ seq: 1, version, configured }).onConflict((oc) => oc.column('singleton').doNothing()).execute();
  return readModelChoice(db);
}
