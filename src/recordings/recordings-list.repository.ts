import { sql, type Kysely } from 'kysely';
import type { Database, RecordingRow } from '../db/database.js';
import { keysetMicros, keysetTimestamp, type KeysetPosition } from '../http/keyset-cursor.js';

export interface RecordingFilter {
  readonly tenant: string;
  readonly deviceId?: string | undefined;
  /** started_at in [from, to). */
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

/** A page of recordings, newest first (started_at, then id), after `after`. */
export async function listRecordings(db: Kysely<Database>, filter: RecordingFilter, limit: number, after: KeysetPosition | null): Promise<Array<RecordingRow & { keyset_micros: number }>> {
  let query = db.selectFrom('recordings').selectAll().select(keysetMicros('started_at').as('keyset_micros')).where('tenant', '=', filter.tenant);
  if (filter.deviceId !== undefined) query = query.where('device_id', '=', filter.deviceId);
  if (filter.from !== undefined) query = query.where('started_at', '>=', new Date(filter.from));
  if (filter.to !== undefined) query = query.where('started_at', '<', new Date(filter.to));
  if (after) query = query.where(sql<boolean>`(started_at, id) < (${keysetTimestamp(after)}, ${after.id}::uuid)`);
  return query.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}
