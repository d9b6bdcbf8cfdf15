import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import { PermanentError } from '../errors/permanent-error.js';
import { float4ArrayParam, int4ArrayParam } from '../db/pg-binary-array.js';
import { insertWithUniqueFallback } from '../db/unique-fallback.js';
import { recordingForWrite } from '../db/recording-for-write.js';
import { inWindow, type EpochWindow } from '../recordings/epoch-window.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface RecordingClock {
  readonly id: string;
  readonly started_at: Date | string;
  readonly epoch_seconds: number;
}

/**
 * One INSERT … SELECT FROM unnest for the whole batch; rows already stored are skipped and the
 * indices that were actually written come back, in ascending order. Rows go in by epoch index
 * whatever the request's order: two uploads of overlapping epochs then wait for each other at their
 * first shared index instead of each holding an index the other needs (a deadlock). Indices and
 * features travel as binary int4[] and real[] parameters (row k's features are the slice
 * [k·n + 1, (k + 1)·n] of the flat block). `fresh`: the caller holds the night's lock and saw no
 * stored epoch, so nothing can conflict and the insert needs no savepoint to fall back from.
 */
export async function insertEpochs(
  db: Db,
  recording: RecordingClock,
  indices: Int32Array,
  features: Float32Array,
  nFeatures: number,
  fresh = false,
): Promise<number[]> {
  if (indices.length === 0) return [];
  const rows = sql`
    SELECT ${recordingForWrite(recording.id)}, t.i,
           ${new Date(recording.started_at)}::timestamptz + make_interval(secs => t.i::double precision * ${recording.epoch_seconds}),
           (${float4ArrayParam(features.subarray(0, indices.length * nFeatures))}::real[])[(t.k::int - 1) * ${nFeatures}::int + 1 : t.k::int * ${nFeatures}::int]
    FROM unnest(${int4ArrayParam(indices)}::int4[]) WITH ORDINALITY AS t(i, k)
    ORDER BY t.i`;
  // Without a conflict every row is written: no RETURNING (958 rows a night to send and parse).
  const plain = async () => {
    await sql`INSERT INTO epochs (recording_id, epoch_index, ts, features) ${rows}`.execute(db);
    return Array.from(indices).sort((a, b) => a - b);
  };
  const skipStored = async () => {
    const result = await sql<{ epoch_index: number }>`INSERT INTO epochs (recording_id, epoch_index, ts, features) ${rows} ON CONFLICT DO NOTHING RETURNING epoch_index`.execute(db);
    return result.rows.map((r) => r.epoch_index).sort((a, b) => a - b);
  };
  return fresh ? plain() : insertWithUniqueFallback(db, plain, skipStored);
}

export async function hasStoredEpochs(db: Db, window: EpochWindow): Promise<boolean> {
  const row = await db.selectFrom('epochs').select(sql<number>`1`.as('one')).where(inWindow(window)).limit(1).executeTakeFirst();
  return row !== undefined;
}

export interface EpochRow {
  epoch_index: number;
  features: number[];
}

/** Stored epochs of the window in index order, at most `limit`. */
export async function listEpochs(db: Db, window: EpochWindow, limit: number): Promise<EpochRow[]> {
  return db.selectFrom('epochs').select(['epoch_index', 'features']).where(inWindow(window)).orderBy('epoch_index').limit(limit).execute();
}

/** Every stored epoch of one recording, in index order, as one float32 block. */
export interface StoredNight {
  readonly count: number;
  readonly indices: Int32Array;
  readonly features: Float32Array;
}

/** A stored feature vector whose length is not the model's: scoring it would mean guessing. */
export class StoredFeaturesMismatch extends PermanentError {
  override readonly name = 'StoredFeaturesMismatch';
  constructor(readonly recordingId: string, readonly epochIndex: number, readonly stored: number, readonly expected: number) {
    super(`recording ${recordingId} epoch ${epochIndex} has ${stored} stored features; the model expects ${expected}`);
  }
}

/**
 * Loads a whole night (or the window's part of it, at most `limit` epochs) for scoring. Throws
 * StoredFeaturesMismatch rather than truncating or padding a vector of the wrong length.
 */
export async function loadStoredNight(db: Db, window: EpochWindow, nFeatures: number, limit?: number): Promise<StoredNight> {
  let query = db.selectFrom('epochs').select(['epoch_index', 'features']).where(inWindow(window)).orderBy('epoch_index');
  if (limit !== undefined) query = query.limit(limit);
  const rows = await query.execute();
  const indices = new Int32Array(rows.length);
  const features = new Float32Array(rows.length * nFeatures);
  rows.forEach((row, k) => {
    if (row.features.length !== nFeatures) throw new StoredFeaturesMismatch(window.recordingId, row.epoch_index, row.features.length, nFeatures);
    indices[k] = row.epoch_index;
    features.set(row.features, k * nFeatures);
  });
  return { count: rows.length, indices, features };
}
