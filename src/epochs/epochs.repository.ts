import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import { float4ArrayParam, int4ArrayParam } from '../db/pg-binary-array.js';
import { insertWithUniqueFallback } from '../db/unique-fallback.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface RecordingClock {
  readonly id: string;
  readonly started_at: Date | string;
  readonly epoch_seconds: number;
}

/**
 * One INSERT … SELECT FROM unnest for the whole batch; rows already stored are skipped and the
 * indices that were actually written come back. Indices and features travel as binary int4[] and
 * real[] parameters (row k's features are the slice [k·n + 1, (k + 1)·n] of the flat block).
 */
export async function insertEpochs(
  db: Db,
  recording: RecordingClock,
  indices: Int32Array,
  features: Float32Array,
  nFeatures: number,
): Promise<number[]> {
  if (indices.length === 0) return [];
  const rows = sql`
    SELECT ${recording.id}::uuid, t.i,
           ${new Date(recording.started_at)}::timestamptz + make_interval(secs => t.i::double precision * ${recording.epoch_seconds}),
           (${float4ArrayParam(features.subarray(0, indices.length * nFeatures))}::real[])[(t.k::int - 1) * ${nFeatures}::int + 1 : t.k::int * ${nFeatures}::int]
    FROM unnest(${int4ArrayParam(indices)}::int4[]) WITH ORDINALITY AS t(i, k)`;
  const insert = (conflict: RawBuilder<unknown>) =>
    sql<{ epoch_index: number }>`INSERT INTO epochs (recording_id, epoch_index, ts, features) ${rows} ${conflict} RETURNING epoch_index`.execute(db);
  const result = await insertWithUniqueFallback(db, () => insert(sql``), () => insert(sql`ON CONFLICT DO NOTHING`));
  return result.rows.map((r) => r.epoch_index);
}

export async function hasStoredEpochs(db: Db, recordingId: string): Promise<boolean> {
  const row = await db.selectFrom('epochs').select(sql<number>`1`.as('one')).where('recording_id', '=', recordingId).limit(1).executeTakeFirst();
  return row !== undefined;
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

/** Every stored epoch of one recording, in index order, as one float32 block. */
export interface StoredNight {
  readonly count: number;
  readonly indices: Int32Array;
  readonly features: Float32Array;
}

/** A stored feature vector whose length is not the model's: scoring it would mean guessing. */
export class StoredFeaturesMismatch extends Error {
  constructor(readonly recordingId: string, readonly epochIndex: number, readonly stored: number, readonly expected: number) {
    super(`recording ${recordingId} epoch ${epochIndex} has ${stored} stored features; the model expects ${expected}`);
    this.name = 'StoredFeaturesMismatch';
  }
}

/**
 * Loads a whole night (or `[fromIndex, toIndex)` of it) for scoring. Throws StoredFeaturesMismatch
 * rather than truncating or padding a vector of the wrong length.
 */
export async function loadStoredNight(
  db: Db,
  recordingId: string,
  nFeatures: number,
  range: { fromIndex: number; toIndex: number | null; limit?: number } = { fromIndex: 0, toIndex: null },
): Promise<StoredNight> {
  let query = db.selectFrom('epochs').select(['epoch_index', 'features']).where('recording_id', '=', recordingId).where('epoch_index', '>=', range.fromIndex);
  if (range.toIndex !== null) query = query.where('epoch_index', '<', range.toIndex);
  query = query.orderBy('epoch_index');
  if (range.limit !== undefined) query = query.limit(range.limit);
  const rows = await query.execute();
  const indices = new Int32Array(rows.length);
  const features = new Float32Array(rows.length * nFeatures);
  rows.forEach((row, k) => {
    if (row.features.length !== nFeatures) throw new StoredFeaturesMismatch(recordingId, row.epoch_index, row.features.length, nFeatures);
    indices[k] = row.epoch_index;
    features.set(row.features, k * nFeatures);
  });
  return { count: rows.length, indices, features };
}
