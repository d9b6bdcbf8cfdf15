import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';

export interface EpochSpan {
  first: number;
  last: number;
}

/** First and last stored epoch index of a recording inside [fromIndex, toIndex); null when none. */
export async function storedEpochSpan(
  db: Kysely<Database> | Transaction<Database>,
  recordingId: string,
  range: { fromIndex: number; toIndex: number | null },
): Promise<EpochSpan | null> {
  let query = db
    .selectFrom('epochs')
    .select([sql<number | null>`min(epoch_index)`.as('first'), sql<number | null>`max(epoch_index)`.as('last')])
    .where('recording_id', '=', recordingId)
    .where('epoch_index', '>=', range.fromIndex);
  if (range.toIndex !== null) query = query.where('epoch_index', '<', range.toIndex);
  const row = await query.executeTakeFirstOrThrow();
  return row.first === null || row.last === null ? null : { first: row.first, last: row.last };
}
