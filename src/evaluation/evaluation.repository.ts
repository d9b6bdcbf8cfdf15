import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { LabelledPrediction } from './evaluation.night.js';

/** How many labelled epochs had a given (truth, predicted) pair, per recording. */
export interface PairCount {
  recording_id: string;
  truth: string;
  predicted: string;
  n: number;
}

/**
 * Counts (truth, predicted) pairs over epochs that have both a label and a prediction of
 * `modelVersion`, per recording; one recording or every labelled one. Aggregated in SQL so a
 * model-wide evaluation reads a few rows per recording, not every epoch.
 */
export async function labelledPairCounts(db: Kysely<Database>, modelVersion: string, recordingId?: string, tenant?: string): Promise<PairCount[]> {
  const where = recordingId === undefined ? sql`` : sql`AND l.recording_id = ${recordingId}::uuid`;
  const owner = tenant === undefined ? sql`` : sql`AND l.recording_id IN (SELECT id FROM recordings WHERE tenant = ${tenant})`;
  const result = await sql<PairCount>`
    SELECT l.recording_id, l.stage AS truth, p.stage AS predicted, count(*)::int AS n
    FROM labels l
    JOIN predictions p
      ON p.recording_id = l.recording_id AND p.model_version = ${modelVersion}
     AND p.epoch_index = l.epoch_index AND p.ts = l.ts
    WHERE true ${where} ${owner}
    GROUP BY l.recording_id, l.stage, p.stage
    ORDER BY l.recording_id, l.stage, p.stage`.execute(db);
  return result.rows;
}

/** Number of recordings with at least one label (of one tenant when given). */
export async function countLabelledRecordings(db: Kysely<Database>, tenant?: string): Promise<number> {
  const owner = tenant === undefined ? sql`` : sql`WHERE recording_id IN (SELECT id FROM recordings WHERE tenant = ${tenant})`;
  const result = await sql<{ n: number }>`SELECT count(DISTINCT recording_id)::int AS n FROM labels ${owner}`.execute(db);
  return result.rows[0]!.n;
}

/**
 * One recording's epochs that have both a label and a prediction of `modelVersion`, by index: the
 * evaluation's night. Read one recording at a time (a night is a few thousand rows).
 */
export async function labelledPredictions(db: Kysely<Database>, recordingId: string, modelVersion: string): Promise<LabelledPrediction[]> {
  const result = await sql<LabelledPrediction>`
    SELECT l.epoch_index, l.stage AS truth, p.stage AS predicted
    FROM labels l
    JOIN predictions p
      ON p.recording_id = l.recording_id AND p.model_version = ${modelVersion}
     AND p.epoch_index = l.epoch_index AND p.ts = l.ts
    WHERE l.recording_id = ${recordingId}::uuid
    ORDER BY l.epoch_index`.execute(db);
  return result.rows;
}

/** Epoch length of each of the given recordings. */
export async function epochSecondsOf(db: Kysely<Database>, recordingIds: readonly string[]): Promise<Map<string, number>> {
  if (recordingIds.length === 0) return new Map();
  const rows = await db.selectFrom('recordings').select(['id', 'epoch_seconds']).where('id', 'in', [...recordingIds]).execute();
  return new Map(rows.map((r) => [r.id, r.epoch_seconds]));
}
