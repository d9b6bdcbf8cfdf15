import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { RecordingClock } from '../epochs/epochs.repository.js';
import { inWindow, type EpochWindow } from '../recordings/epoch-window.js';
import type { LabelledPrediction } from './evaluation.night.js';

/** How many labelled epochs had a given (truth, predicted) pair, per recording. */
export interface PairCount {
  recording_id: string;
  truth: string;
  predicted: string;
  n: number;
}

/**
 * Counts (truth, predicted) pairs over one recording's epochs that have both a label and a
 * prediction of `modelVersion`. Aggregated in SQL so the confusion reads a few rows, not every epoch.
 */
export async function labelledPairCounts(db: Kysely<Database>, modelVersion: string, window: EpochWindow): Promise<PairCount[]> {
  const result = await sql<PairCount>`
    SELECT l.recording_id, l.stage AS truth, p.stage AS predicted, count(*)::int AS n
    FROM labels l
    JOIN predictions p
      ON p.recording_id = l.recording_id AND p.model_version = ${modelVersion}
     AND p.epoch_index = l.epoch_index AND p.ts = l.ts
    WHERE ${inWindow(window, 'l')} AND ${inWindow(window, 'p')}
    GROUP BY l.recording_id, l.stage, p.stage
    ORDER BY l.stage, p.stage`.execute(db);
  return result.rows;
}

/**
 * One recording's epochs that have both a label and a prediction of `modelVersion`, by index: the
 * evaluation's night. Read one recording at a time (a night is a few thousand rows).
 */
export async function labelledPredictions(db: Kysely<Database>, window: EpochWindow, modelVersion: string): Promise<LabelledPrediction[]> {
  const result = await sql<LabelledPrediction>`
    SELECT l.epoch_index, l.stage AS truth, p.stage AS predicted
    FROM labels l
    JOIN predictions p
      ON p.recording_id = l.recording_id AND p.model_version = ${modelVersion}
     AND p.epoch_index = l.epoch_index AND p.ts = l.ts
    WHERE ${inWindow(window, 'l')} AND ${inWindow(window, 'p')}
    ORDER BY l.epoch_index`.execute(db);
  return result.rows;
}

/**
 * Every recording (of one tenant when given) in id order, a page at a time: model-wide evaluation
 * reads each recording inside its own span, so TimescaleDB plans only that recording's chunks.
 */
export async function* eachRecording(db: Kysely<Database>, tenant: string | undefined, pageSize = 500): AsyncGenerator<RecordingClock> {
  let after: string | null = null;
  for (;;) {
    let query = db.selectFrom('recordings').select(['id', 'started_at', 'epoch_seconds']).orderBy('id').limit(pageSize);
    if (tenant !== undefined) query = query.where('tenant', '=', tenant);
    if (after !== null) query = query.where('id', '>', after);
    const page = await query.execute();
    yield* page;
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.id;
  }
}
