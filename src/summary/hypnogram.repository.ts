import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import { inWindow, type EpochWindow } from '../recordings/epoch-window.js';

export interface EpochSpan {
  first: number;
  last: number;
}

/** First and last stored epoch index of a recording inside the window; null when none. */
export async function storedEpochSpan(db: Kysely<Database> | Transaction<Database>, window: EpochWindow): Promise<EpochSpan | null> {
  const row = await db
    .selectFrom('epochs')
    .select([sql<number | null>`min(epoch_index)`.as('first'), sql<number | null>`max(epoch_index)`.as('last')])
    .where(inWindow(window))
    .executeTakeFirstOrThrow();
  return row.first === null || row.last === null ? null : { first: row.first, last: row.last };
}
