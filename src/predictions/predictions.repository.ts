import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import type { RecordingClock } from '../epochs/epochs.repository.js';
import { rowLiteral } from '../epochs/epochs.repository.js';

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
 * predictions of the same version (re-scoring); otherwise existing rows are kept.
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
  const stages = new Array<string>(count);
  const probs = new Array<string>(count);
  for (let k = 0; k < count; k++) {
    stages[k] = batch.labels[batch.classes[k]!]!;
    probs[k] = rowLiteral(batch.probabilities, k * nClasses, nClasses);
  }
  const conflict = overwrite
    ? sql`ON CONFLICT (recording_id, model_version, epoch_index, ts) DO UPDATE
          SET stage = EXCLUDED.stage, probabilities = EXCLUDED.probabilities, created_at = now()`
    : sql`ON CONFLICT DO NOTHING`;
  const result = await sql`
    INSERT INTO predictions (recording_id, epoch_index, ts, model_version, stage, probabilities)
    SELECT ${recording.id}::uuid, t.i,
           ${new Date(recording.started_at)}::timestamptz + make_interval(secs => t.i::double precision * ${recording.epoch_seconds}),
           ${batch.modelVersion}, t.s, t.p::real[]
    FROM unnest(${Array.from(batch.indices)}::int4[], ${stages}::text[], ${probs}::text[]) AS t(i, s, p)
    ${conflict}`.execute(db);
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
