import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface RecordingClock {
  readonly id: string;
  readonly started_at: Date | string;
  readonly epoch_seconds: number;
}

/** PostgreSQL array literal of one row; JS's shortest float formatting round-trips float32 exactly. */
export function rowLiteral(features: Float32Array, offset: number, n: number): string {
  let text = '{';
  for (let j = 0; j < n; j++) text += (j ? ',' : '') + features[offset + j];
  return text + '}';
}

/**
 * One INSERT … SELECT FROM unnest for the whole batch; rows already stored are skipped and the
 * indices that were actually written come back.
 */
export async function insertEpochs(
  db: Db,
  recording: RecordingClock,
  indices: Int32Array,
  features: Float32Array,
  nFeatures: number,
): Promise<number[]> {
  if (indices.length === 0) return [];
  const literals = new Array<string>(indices.length);
  for (let k = 0; k < indices.length; k++) literals[k] = rowLiteral(features, k * nFeatures, nFeatures);
  const result = await sql<{ epoch_index: number }>`
    INSERT INTO epochs (recording_id, epoch_index, ts, features)
    SELECT ${recording.id}::uuid, t.i,
           ${new Date(recording.started_at)}::timestamptz + make_interval(secs => t.i::double precision * ${recording.epoch_seconds}),
           t.f::real[]
    FROM unnest(${Array.from(indices)}::int4[], ${literals}::text[]) AS t(i, f)
    ON CONFLICT DO NOTHING
    RETURNING epoch_index`.execute(db);
  return result.rows.map((r) => r.epoch_index);
}

export interface EpochRow {
  epoch_index: number;
  features: number[];
}

export async function listEpochs(
  db: Db,
  recordingId: string,
  range: { fromIndex: number; toIndex: number | null; limit: number; withoutPredictionOf?: string },
): Promise<EpochRow[]> {
  let query = db
    .selectFrom('epochs')
    .select(['epoch_index', 'features'])
    .where('recording_id', '=', recordingId)
    .where('epoch_index', '>=', range.fromIndex);
  if (range.toIndex !== null) query = query.where('epoch_index', '<', range.toIndex);
  if (range.withoutPredictionOf !== undefined) {
    // Anti-join: only epochs that have no prediction of that model version yet.
    const version = range.withoutPredictionOf;
    query = query.where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('predictions as p')
            .select(sql`1`.as('one'))
            .whereRef('p.recording_id', '=', 'epochs.recording_id')
            .where('p.model_version', '=', version)
            .whereRef('p.epoch_index', '=', 'epochs.epoch_index'),
        ),
      ),
    );
  }
  return query.orderBy('epoch_index').limit(range.limit).execute();
}
