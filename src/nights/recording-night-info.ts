import { sql, type Kysely } from 'kysely';
import type { Database, RecordingRow } from '../db/database.js';
import { nightSpan } from './night-span.js';

/** What a recording resource says about its night. */
export interface RecordingNightInfo {
  readonly epoch_count: number;
  /** End of the last stored epoch; null while nothing is stored. */
  readonly ended_at: string | null;
  /** Local date the data ends on; fixed at close, else in the device's current zone. */
  readonly date: string | null;
}

const EMPTY: RecordingNightInfo = { epoch_count: 0, ended_at: null, date: null };

/**
 * Night facts of a page of recordings: stored for closed ones, measured now (one grouped read over
 * their epochs, bounded by the page size) for open ones.
 */
export async function recordingNightInfo(db: Kysely<Database>, rows: readonly RecordingRow[]): Promise<Map<string, RecordingNightInfo>> {
  const out = new Map<string, RecordingNightInfo>();
  const closed = rows.filter((r) => r.closed_at !== null).map((r) => r.id);
  const open = rows.filter((r) => r.closed_at === null);
  if (closed.length > 0) {
    const stored = await db.selectFrom('recording_nights').select(['recording_id', 'epoch_count', 'end_at', 'night_date']).where('recording_id', 'in', closed).execute();
    for (const n of stored) out.set(n.recording_id, { epoch_count: n.epoch_count, ended_at: n.end_at?.toISOString() ?? null, date: n.night_date });
  }
  if (open.length > 0) {
    const ids = open.map((r) => r.id);
    const spans = await sql<{ recording_id: string; count: number; first: number; last: number; timezone: string }>`
      SELECT e.recording_id, count(*)::int AS count, min(e.epoch_index) AS first, max(e.epoch_index) AS last, d.timezone
      FROM epochs e JOIN recordings r ON r.id = e.recording_id JOIN devices d ON d.id = r.device_id
      WHERE e.recording_id = ANY(${ids}::uuid[]) AND e.ts >= r.started_at
      GROUP BY e.recording_id, d.timezone`.execute(db);
    const byId = new Map(open.map((r) => [r.id, r]));
    for (const s of spans.rows) {
      const night = nightSpan(byId.get(s.recording_id)!, s, s.timezone);
      out.set(s.recording_id, { epoch_count: s.count, ended_at: night.end.toISOString(), date: night.date });
    }
  }
  for (const r of rows) if (!out.has(r.id)) out.set(r.id, EMPTY);
  return out;
}
