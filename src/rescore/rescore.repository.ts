import { sql, type Kysely, type Transaction } from 'kysely';
import type { ChunkState, Database } from '../db/database.js';
import type { RecordingClock } from '../epochs/epochs.repository.js';
import { epochWindow, inWindow } from '../recordings/epoch-window.js';

type Db = Kysely<Database> | Transaction<Database>;

/** What a re-score was asked to cover; stored as the parent job's `params`. */
export interface RescoreParams {
  model_version: string;
  recording_ids: string[] | null;
  device_id: string | null;
  from: string | null;
  to: string | null;
  only_missing: boolean;
  chunk_epochs: number;
  trigger: 'api' | 'cli' | 'schedule';
  /** Only this tenant's recordings; null: every tenant (operators, CLI, the schedule). */
  tenant?: string | null;
}

export async function insertPlan(db: Db, jobId: string, modelVersion: string): Promise<void> {
  await db.insertInto('rescore_plans').values({ job_id: jobId, model_version: modelVersion }).onConflict((oc) => oc.doNothing()).execute();
}

export async function advancePlan(trx: Transaction<Database>, jobId: string, cursor: string | null, skipped: number, done: boolean): Promise<void> {
  await trx
    .updateTable('rescore_plans')
    .set({ cursor, skipped: sql`skipped + ${skipped}`, ...(done ? { planned_at: sql`now()` } : {}) })
    .where('job_id', '=', jobId)
    .execute();
}

export interface RecordingPage {
  readonly id: string;
  readonly feature_schema_version: string;
  readonly started_at: Date;
  readonly epoch_seconds: number;
}

/** The next page of recordings the filters select, in id order after `cursor` (keyset, never all ids). */
export async function nextRecordings(db: Db, params: RescoreParams, cursor: string | null, limit: number): Promise<RecordingPage[]> {
  let query = db.selectFrom('recordings').select(['id', 'feature_schema_version', 'started_at', 'epoch_seconds']).orderBy('id').limit(limit);
  if (cursor !== null) query = query.where('id', '>', cursor);
  if (params.recording_ids !== null) query = query.where(sql<boolean>`id = ANY(${params.recording_ids}::uuid[])`);
  if (params.device_id !== null) query = query.where('device_id', '=', params.device_id);
  if (params.tenant) query = query.where('tenant', '=', params.tenant);
  // No epoch of a recording lies before its start.
  if (params.to !== null) query = query.where('started_at', '<', new Date(params.to));
  return query.execute();
}

/**
 * One recording's stored epochs, and how many of them the filters select (in the time range, and
 * without a prediction of the version when only_missing). Read inside the recording's span, as is
 * each prediction it checks, so TimescaleDB plans only that recording's chunks.
 */
async function selectedEpochs(db: Db, params: RescoreParams, recording: RecordingClock, recordingEpochs: number): Promise<{ epochs: number; selected: number }> {
  const window = epochWindow(recording, recordingEpochs);
  const from = params.from === null ? sql`` : sql`AND e.ts >= ${params.from}::timestamptz`;
  const to = params.to === null ? sql`` : sql`AND e.ts < ${params.to}::timestamptz`;
  const missing = params.only_missing
    ? sql`AND NOT EXISTS (SELECT 1 FROM predictions p WHERE ${inWindow(window, 'p')}
            AND p.model_version = ${params.model_version} AND p.epoch_index = e.epoch_index AND p.ts = e.ts)`
    : sql``;
  const result = await sql<{ epochs: number; selected: number }>`
    SELECT count(*)::int AS epochs, (count(*) FILTER (WHERE true ${from} ${to} ${missing}))::int AS selected
    FROM epochs e WHERE ${inWindow(window, 'e')}`.execute(db);
  return result.rows[0]!;
}

export interface PlannedChunk {
  readonly id: string;
  readonly recording_ids: string[];
  readonly epochs: number;
}

/**
 * Writes the chunk rows of these recordings (in id order): each recording with at least one
 * selected epoch is scored whole, and recordings are packed into chunks of at most `chunk_epochs`
 * stored epochs (a longer recording is a chunk of its own).
 */
export async function insertChunks(trx: Transaction<Database>, jobId: string, params: RescoreParams, recordings: readonly RecordingClock[], recordingEpochs: number): Promise<PlannedChunk[]> {
  const packs: Array<{ ids: string[]; epochs: number }> = [];
  for (const recording of recordings) {
    const { epochs, selected } = await selectedEpochs(trx, params, recording, recordingEpochs);
    if (selected === 0) continue;
    const last = packs[packs.length - 1];
    if (last && last.epochs + epochs <= params.chunk_epochs) {
      last.ids.push(recording.id);
      last.epochs += epochs;
    } else packs.push({ ids: [recording.id], epochs });
  }
  if (packs.length === 0) return [];
  return trx
    .insertInto('rescore_chunks')
    .values(packs.map((p) => ({ job_id: jobId, recording_id: p.ids[0]!, recording_ids: p.ids, from_index: null, to_index: null, epochs: p.epochs })))
    .returning(['id', 'recording_ids', 'epochs'])
    .execute() as Promise<PlannedChunk[]>;
}

/** How many of these (schema-mismatched) recordings have at least one selected epoch. */
export async function countWithEpochs(db: Db, params: RescoreParams, recordings: readonly RecordingClock[], recordingEpochs: number): Promise<number> {
  let n = 0;
  for (const recording of recordings) if ((await selectedEpochs(db, params, recording, recordingEpochs)).selected > 0) n += 1;
  return n;
}

export interface ActiveChunk {
  id: string;
  job_id: string;
  recording_id: string;
  /** Whole recordings to score; null on a chunk planned before whole-night re-scoring. */
  recording_ids: string[] | null;
  from_index: number | null;
  to_index: number | null;
  epochs: number;
  attempts: number;
  params: RescoreParams;
}

/** Queued (or retried active) chunk → active, only while its parent is active; undefined otherwise. */
export async function markChunkActive(db: Db, chunkId: string): Promise<ActiveChunk | undefined> {
  const result = await sql<ActiveChunk>`
    UPDATE rescore_chunks c
    SET state = 'active', attempts = c.attempts + 1, started_at = coalesce(c.started_at, now()), updated_at = now()
    FROM jobs j
    WHERE c.id = ${chunkId}::uuid AND c.state IN ('queued', 'active') AND j.id = c.job_id AND j.state = 'active'
    RETURNING c.id, c.job_id, c.recording_id, c.recording_ids, c.from_index, c.to_index, c.epochs, c.attempts, j.params`.execute(db);
  return result.rows[0];
}

export async function findChunk(db: Db, chunkId: string) {
  return db.selectFrom('rescore_chunks').selectAll().where('id', '=', chunkId).executeTakeFirst();
}

/**
 * Moves an unfinished chunk to a final state and returns its planned epochs; null when it was
 * already final (another run of the same chunk got there first). Callers hold the parent's row
 * lock, taken before any chunk lock.
 */
export async function settleChunk(
  trx: Transaction<Database>,
  chunkId: string,
  state: Extract<ChunkState, 'completed' | 'failed' | 'cancelled'>,
  outcome: { scored?: number; error?: unknown } = {},
): Promise<number | null> {
  const row = await trx
    .updateTable('rescore_chunks')
    .set({
      state,
      scored: outcome.scored ?? null,
      error: outcome.error === undefined ? null : JSON.stringify(outcome.error),
      finished_at: sql`now()`,
      updated_at: sql`now()`,
    })
    .where('id', '=', chunkId)
    .where('state', 'in', state === 'completed' ? ['active'] : ['queued', 'active'])
    .returning('epochs')
    .executeTakeFirst();
  return row?.epochs ?? null;
}

/** Cancels every chunk that has not started; returns their ids (for removing their queue entries). */
export async function cancelQueuedChunks(trx: Transaction<Database>, jobId: string): Promise<string[]> {
  const rows = await trx
    .updateTable('rescore_chunks')
    .set({ state: 'cancelled', finished_at: sql`now()`, updated_at: sql`now()` })
    .where('job_id', '=', jobId)
    .where('state', '=', 'queued')
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** Unfinished chunks of a job after `afterId`, for re-enqueueing what Redis may have lost. */
export async function unfinishedChunks(db: Db, jobId: string, afterId: string | null, limit: number): Promise<string[]> {
  let query = db.selectFrom('rescore_chunks').select('id').where('job_id', '=', jobId).where('state', 'in', ['queued', 'active']);
  if (afterId !== null) query = query.where('id', '>', afterId);
  const rows = await query.orderBy('id').limit(limit).execute();
  return rows.map((r) => r.id);
}
