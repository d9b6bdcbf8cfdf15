import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.js';

/** A closed night of a device with its stored summary of one version (null: not stored). */
export interface StoredNightRow {
  readonly recording_id: string;
  readonly night_date: string;
  readonly timezone: string;
  readonly start_at: Date;
  readonly end_at: Date;
  readonly tib_min: number;
  readonly is_main_sleep: boolean;
  readonly unscored_min: number | null;
  readonly tst_min: number | null;
  readonly summary: unknown;
}

/** The closed nights of the device dated in [from, to), at most `limit`, with `modelVersion`'s summary: one indexed read. */
export async function listStoredNights(db: Kysely<Database>, deviceId: string, modelVersion: string, from: string, to: string, limit = 100_000): Promise<StoredNightRow[]> {
  const result = await sql<StoredNightRow>`
    SELECT n.recording_id, n.night_date, n.timezone, n.start_at, n.end_at, n.tib_min, n.is_main_sleep,
           s.unscored_min, s.tst_min, s.summary
    FROM recording_nights n
    LEFT JOIN night_summaries s
      ON s.recording_id = n.recording_id AND s.model_version = ${modelVersion} AND s.night_date = n.night_date
     AND s.device_id = ${deviceId}::uuid AND s.night_date >= ${from}::date AND s.night_date < ${to}::date
    WHERE n.device_id = ${deviceId}::uuid AND n.night_date >= ${from}::date AND n.night_date < ${to}::date
    ORDER BY n.night_date, n.start_at, n.recording_id
    LIMIT ${limit}`.execute(db);
  return result.rows;
}

/** One row per local date: its main sleep (any version) and that night's stored figures of one version. */
export interface MainNightDay {
  readonly date: string;
  readonly recording_id: string | null;
  readonly tib_min: number | null;
  readonly start_at: Date | null;
  /** The rest is null when the version has no stored summary of the main sleep. */
  readonly unscored_min: number | null;
  readonly tst_min: number | null;
  readonly waso_min: number | null;
  readonly sol_min: number | null;
  readonly se_pct: number | null;
  readonly rem_latency_min: number | null;
  readonly stage_minutes: Record<string, number> | null;
}

/**
 * Every date of [from, to) with its main sleep and that night's stored figures of `modelVersion`:
 * one statement over the stored nightly rows, never a hypnogram. The summaries are read by their
 * (device, version, date range) index; on TimescaleDB the range also excludes the hypertable's
 * chunks outside it. The same statement serves plain PostgreSQL.
 */
export async function mainNightDays(db: Kysely<Database>, deviceId: string, modelVersion: string, from: string, to: string): Promise<MainNightDay[]> {
  return (await mainNightDaysQuery(deviceId, modelVersion, from, to).execute(db)).rows;
}

/** The statement of mainNightDays (exported so the TimescaleDB test can EXPLAIN it). */
export function mainNightDaysQuery(deviceId: string, modelVersion: string, from: string, to: string) {
  return sql<MainNightDay>`
    SELECT d.day::date::text AS date, n.recording_id, n.tib_min, n.start_at,
           s.unscored_min, s.tst_min, s.waso_min, s.sol_min, s.se_pct, s.rem_latency_min, s.stage_minutes
    FROM generate_series(${from}::date, ${to}::date - 1, INTERVAL '1 day') AS d(day)
    LEFT JOIN recording_nights n
      ON n.device_id = ${deviceId}::uuid AND n.is_main_sleep AND n.night_date = d.day::date
    LEFT JOIN night_summaries s
      ON s.device_id = ${deviceId}::uuid AND s.model_version = ${modelVersion} AND s.night_date >= ${from}::date AND s.night_date < ${to}::date
     AND s.recording_id = n.recording_id AND s.night_date = n.night_date
    ORDER BY d.day`;
}

/** A device's open recordings that may end before `beforeMs` (newest first), and how many there are. */
export async function openRecordings(db: Kysely<Database>, deviceId: string, beforeMs: number, limit: number) {
  const rows = await db
    .selectFrom('recordings')
    .select(['id', 'started_at', 'epoch_seconds', sql<number>`count(*) OVER ()::int`.as('total')])
    .where('device_id', '=', deviceId)
    .where('closed_at', 'is', null)
    .where('started_at', '<', new Date(beforeMs))
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(Math.max(limit, 1))
    .execute();
  return { rows: rows.slice(0, limit), total: rows[0]?.total ?? 0 };
}
