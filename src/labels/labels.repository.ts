import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import type { RecordingClock } from '../epochs/epochs.repository.js';
import type { TruthStage } from './stages.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface LabelRow {
  epoch_index: number;
  stage: TruthStage;
}

/** One INSERT … SELECT FROM unnest for the batch; a label already stored for an epoch is replaced. */
export async function upsertLabels(db: Db, recording: RecordingClock, labels: readonly LabelRow[]): Promise<number> {
  if (labels.length === 0) return 0;
  const result = await sql`
    INSERT INTO labels (recording_id, epoch_index, ts, stage)
    SELECT ${recording.id}::uuid, t.i,
           ${new Date(recording.started_at)}::timestamptz + make_interval(secs => t.i::double precision * ${recording.epoch_seconds}),
           t.s
    FROM unnest(${labels.map((l) => l.epoch_index)}::int4[], ${labels.map((l) => l.stage)}::text[]) AS t(i, s)
    ON CONFLICT (recording_id, epoch_index, ts) DO UPDATE SET stage = EXCLUDED.stage, updated_at = now()`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

export async function listLabels(
  db: Db,
  recordingId: string,
  range: { fromIndex: number; toIndex: number | null },
): Promise<LabelRow[]> {
  let query = db
    .selectFrom('labels')
    .select(['epoch_index', 'stage'])
    .where('recording_id', '=', recordingId)
    .where('epoch_index', '>=', range.fromIndex);
  if (range.toIndex !== null) query = query.where('epoch_index', '<', range.toIndex);
  return (await query.orderBy('epoch_index').execute()) as LabelRow[];
}

export async function countLabels(db: Db, recordingId: string): Promise<number> {
  const row = await db
    .selectFrom('labels')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('recording_id', '=', recordingId)
    .executeTakeFirstOrThrow();
  return row.n;
}
