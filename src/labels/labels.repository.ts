import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import type { RecordingClock } from '../epochs/epochs.repository.js';
import { inWindow, type EpochWindow } from '../recordings/epoch-window.js';
import type { TruthStage } from './stages.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface LabelRow {
  epoch_index: number;
  stage: TruthStage;
}

/**
 * One INSERT … SELECT FROM unnest for the batch; a label already stored for an epoch is replaced.
 * Rows are written by epoch index, so two overlapping requests cannot deadlock (see insertEpochs).
 */
export async function upsertLabels(db: Db, recording: RecordingClock, labels: readonly LabelRow[]): Promise<number> {
  if (labels.length === 0) return 0;
  const result = await sql`
    INSERT INTO labels (recording_id, epoch_index, ts, stage)
    SELECT ${recording.id}::uuid, t.i,
           ${new Date(recording.started_at)}::timestamptz + make_interval(secs => t.i::double precision * ${recording.epoch_seconds}),
           t.s
    FROM unnest(${labels.map((l) => l.epoch_index)}::int4[], ${labels.map((l) => l.stage)}::text[]) AS t(i, s)
    ORDER BY t.i
    ON CONFLICT (recording_id, epoch_index, ts) DO UPDATE SET stage = EXCLUDED.stage, updated_at = now()`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** Labels inside the window, in index order (at most `limit` when given). */
export async function listLabels(db: Db, window: EpochWindow, limit?: number): Promise<LabelRow[]> {
  let query = db.selectFrom('labels').select(['epoch_index', 'stage']).where(inWindow(window)).orderBy('epoch_index');
  if (limit !== undefined) query = query.limit(limit);
  return (await query.execute()) as LabelRow[];
}

export async function hasLabels(db: Db, window: EpochWindow): Promise<boolean> {
  const row = await db.selectFrom('labels').select(sql<number>`1`.as('one')).where(inWindow(window)).limit(1).executeTakeFirst();
  return row !== undefined;
}

export async function countLabels(db: Db, window: EpochWindow): Promise<number> {
  const row = await db.selectFrom('labels').select(sql<number>`count(*)::int`.as('n')).where(inWindow(window)).executeTakeFirstOrThrow();
  return row.n;
}
