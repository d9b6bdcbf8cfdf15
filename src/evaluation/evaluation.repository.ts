import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.js';

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
