import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import type { RecordingClock } from '../epochs/epochs.repository.js';
import { float4ArrayParam, int4ArrayParam } from '../db/pg-binary-array.js';
import { insertWithUniqueFallback } from '../db/unique-fallback.js';

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
 * predictions of the same version (re-scoring); otherwise existing rows are kept. Indices, classes
 * and probabilities travel as binary int4[]/real[] parameters; the stage is the class's label.
 */
export async function upsertPredictions(
  db: Db,
  recording: RecordingClock,
  batch: PredictionBatch,
  overwrite: boolean,
): Promise<number> {
  const count = batch.indices.length;
  if (count === 0) return 0;
  const nClasses = batch.labels.length;
  const rows = sql`
    SELECT ${recording.id}::uuid, t.i,
           ${new Date(recording.started_at)}::timestamptz + make_interval(secs => t.i::double precision * ${recording.epoch_seconds}),
           ${batch.modelVersion}::text, (${[...batch.labels]}::text[])[t.c + 1],
           (${float4ArrayParam(batch.probabilities.subarray(0, count * nClasses))}::real[])[(t.k::int - 1) * ${nClasses}::int + 1 : t.k::int * ${nClasses}::int]
    FROM unnest(${int4ArrayParam(batch.indices)}::int4[], ${int4ArrayParam(batch.classes.subarray(0, count))}::int4[]) WITH ORDINALITY AS t(i, c, k)`;
  const insert = (conflict: RawBuilder<unknown>) =>
    sql`INSERT INTO predictions (recording_id, epoch_index, ts, model_version, stage, probabilities) ${rows} ${conflict}`.execute(db);
  if (overwrite) {
    const result = await insert(sql`ON CONFLICT (recording_id, model_version, epoch_index, ts) DO UPDATE
          SET stage = EXCLUDED.stage, probabilities = EXCLUDED.probabilities, created_at = now()`);
    return Number(result.numAffectedRows ?? 0);
  }
  const result = await insertWithUniqueFallback(db, () => insert(sql``), () => insert(sql`ON CONFLICT DO NOTHING`));
  return Number(result.numAffectedRows ?? 0);
}

export interface PredictionRow {
  epoch_index: number;
  stage: string;
  probabilities: number[];
}

export async function listPredictions(
  db: Db,
  recordingId: string,
  modelVersion: string,
  range: { fromIndex: number; toIndex: number | null },
): Promise<PredictionRow[]> {
  let query = db
    .selectFrom('predictions')
    .select(['epoch_index', 'stage', 'probabilities'])
    .where('recording_id', '=', recordingId)
    .where('model_version', '=', modelVersion)
    .where('epoch_index', '>=', range.fromIndex);
  if (range.toIndex !== null) query = query.where('epoch_index', '<', range.toIndex);
  return query.orderBy('epoch_index').execute();
}
