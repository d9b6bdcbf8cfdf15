import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import type { RecordingClock } from '../epochs/epochs.repository.js';
import { float4ArrayParam, int4ArrayParam } from '../db/pg-binary-array.js';
import { insertWithUniqueFallback } from '../db/unique-fallback.js';
import { recordingForWrite } from '../db/recording-for-write.js';
import { inWindow, type EpochWindow } from '../recordings/epoch-window.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface PredictionBatch {
  readonly modelVersion: string;
  readonly labels: readonly string[];
  readonly indices: ArrayLike<number>;
  /** count × labels.length, row-major, aligned with `indices`. */
  readonly probabilities: Float32Array;
  readonly classes: Uint8Array;
}

/**
 * Writes one model version's predictions in a single statement. `overwrite` replaces earlier
 * predictions of the same version (re-scoring) where they differ; otherwise existing rows are kept.
 * Indices, classes and probabilities travel as binary int4[]/real[] parameters; the stage is the
 * class's label. Returns the number of rows written.
 */
export async function upsertPredictions(
  db: Db,
  recording: RecordingClock,
  batch: PredictionBatch,
  overwrite: boolean,
): Promise<number> {
  if (overwrite) return (await replacePredictions(db, recording, batch)).length;
  if (batch.indices.length === 0) return 0;
  const insert = (conflict: RawBuilder<unknown>) => sql`INSERT INTO predictions (recording_id, epoch_index, ts, model_version, stage, probabilities) ${predictionRows(recording, batch)} ${conflict}`.execute(db);
  const result = await insertWithUniqueFallback(db, () => insert(sql``), () => insert(sql`ON CONFLICT DO NOTHING`));
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Inserts new predictions and rewrites stored ones of the same version only where the stage or a
 * probability changed, so scoring a night again writes just what moved. Returns the epoch indices
 * written.
 */
export async function replacePredictions(db: Db, recording: RecordingClock, batch: PredictionBatch): Promise<number[]> {
  if (batch.indices.length === 0) return [];
  const result = await sql<{ epoch_index: number }>`
    INSERT INTO predictions (recording_id, epoch_index, ts, model_version, stage, probabilities) ${predictionRows(recording, batch)}
    ON CONFLICT (recording_id, model_version, epoch_index, ts) DO UPDATE
      SET stage = EXCLUDED.stage, probabilities = EXCLUDED.probabilities, created_at = now()
      WHERE predictions.stage IS DISTINCT FROM EXCLUDED.stage OR predictions.probabilities IS DISTINCT FROM EXCLUDED.probabilities
    RETURNING epoch_index`.execute(db);
  return result.rows.map((r) => r.epoch_index);
}

/** The batch's rows by epoch index, so overlapping writers wait instead of deadlocking (see insertEpochs). */
function predictionRows(recording: RecordingClock, batch: PredictionBatch) {
  const count = batch.indices.length;
  const nClasses = batch.labels.length;
  return sql`
    SELECT ${recordingForWrite(recording.id)}, t.i,
           ${new Date(recording.started_at)}::timestamptz + make_interval(secs => t.i::double precision * ${recording.epoch_seconds}),
           ${batch.modelVersion}::text, (${[...batch.labels]}::text[])[t.c + 1],
           (${float4ArrayParam(batch.probabilities.subarray(0, count * nClasses))}::real[])[(t.k::int - 1) * ${nClasses}::int + 1 : t.k::int * ${nClasses}::int]
    FROM unnest(${int4ArrayParam(batch.indices)}::int4[], ${int4ArrayParam(batch.classes.subarray(0, count))}::int4[]) WITH ORDINALITY AS t(i, c, k)
    ORDER BY t.i`;
}

export interface PredictionRow {
  epoch_index: number;
  stage: string;
  probabilities: number[];
}

/** One version's predictions inside the window, in index order (at most `limit` when given). */
export async function listPredictions(db: Db, window: EpochWindow, modelVersion: string, limit?: number): Promise<PredictionRow[]> {
  let query = db
    .selectFrom('predictions')
    .select(['epoch_index', 'stage', 'probabilities'])
    .where(inWindow(window))
    .where('model_version', '=', modelVersion)
    .orderBy('epoch_index');
  if (limit !== undefined) query = query.limit(limit);
  return query.execute();
}

/** Records that `modelVersion` has just scored the night (inside the transaction that wrote it). */
export async function markNightScored(db: Db, recordingId: string, modelVersion: string): Promise<void> {
  await nightScoredStep(recordingId, modelVersion).execute(db);
}

/** markNightScored as a statement to run as a step of another (see finishJob's `also`). */
export function nightScoredStep(recordingId: string, modelVersion: string): RawBuilder<unknown> {
  return sql`
    INSERT INTO night_scores (recording_id, model_version, scored_at) VALUES (${recordingId}::uuid, ${modelVersion}, now())
    ON CONFLICT (recording_id, model_version) DO UPDATE SET scored_at = now()`;
}

export async function nightScoredAt(db: Db, recordingId: string, modelVersion: string): Promise<Date | null> {
  const row = await db
    .selectFrom('night_scores')
    .select('scored_at')
    .where('recording_id', '=', recordingId)
    .where('model_version', '=', modelVersion)
    .executeTakeFirst();
  return row?.scored_at ?? null;
}
