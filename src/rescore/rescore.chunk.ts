import { UnrecoverableError } from 'bullmq';
import type { AppContext } from '../app-context.js';
import { lockJob } from '../jobs/jobs.repository.js';
import type { Logger } from '../logging/logger.js';
import { scoreRecording } from '../predictions/score-recording.js';
import { findRecording } from '../recordings/recordings.repository.js';
import { yieldToLoop } from '../queues/yield.js';
import { resolveJobModel } from '../models/job-model.js';
import { updateParent } from './rescore.parent.js';
import { observeJobWait } from '../metrics/job-wait.js';
import { rescoreCutoff, startsBefore } from '../retention/retention.policy.js';
import { findChunk, markChunkActive, settleChunk } from './rescore.repository.js';
import { lockNight } from '../night-scoring/night-scoring.repository.js';

export interface ChunkOutcome {
  readonly state: 'completed' | 'cancelled' | 'skipped';
  readonly scored: number;
}

/** Thrown inside the chunk transaction to roll back when another run already settled the chunk. */
class AlreadySettled extends Error {}

/**
 * Scores one chunk's stored epochs and upserts that version's predictions, then — in the same
 * transaction — marks the chunk completed and refreshes the parent. A worker killed midway rolls
 * everything back and the retried chunk starts over; a second run of a settled chunk writes nothing.
 */
export async function processRescoreChunk(ctx: AppContext, jobId: string, chunkId: string, log: Logger): Promise<ChunkOutcome> {
  const chunk = await markChunkActive(ctx.db, chunkId);
  if (!chunk) return stopIfParentGone(ctx, jobId, chunkId);
  const model = resolveJobModel(ctx.registry, chunk.params.model_version);
  // Legacy chunks (planned before whole-night re-scoring) name one recording and an index range.
  const recordingIds = chunk.recording_ids ?? [chunk.recording_id];
  const range = { fromIndex: chunk.from_index ?? 0, toIndex: chunk.to_index };
  try {
    const settled = await ctx.db.transaction().execute(async (trx) => {
      let written = 0;
      for (const recordingId of recordingIds) {
        const recording = await findRecording(trx, recordingId);
        // Deleted since planning, or aged past retention since: nothing (whole) left to score.
        if (!recording || startsBefore(recording.started_at, rescoreCutoff(ctx.config, new Date()))) continue;
        if (recording.feature_schema_version !== model.featureSchemaVersion) {
          throw new UnrecoverableError(`recording ${recording.id} uses feature schema ${recording.feature_schema_version}, model ${model.version} ${model.featureSchemaVersion}`);
        }
        // Whole-night: read and write under the night's lock, as uploads and night scorings do.
        // Night locks before the parent's row lock, in recording id order (chunks pack by id).
        if (model.wholeNight) await lockNight(trx, recording.id);
        written += (await scoreRecording(trx, recording, model, ctx.config.MAX_RECORDING_EPOCHS, range)).written.length;
        await yieldToLoop();
      }
      // Parent lock first, then the chunk row: the same order as cancel and the planner.
      const parent = await lockJob(trx, jobId);
      const epochs = parent ? await settleChunk(trx, chunkId, 'completed', { scored: written }) : null;
      if (!parent || epochs === null) throw new AlreadySettled();
      const counters = await updateParent(trx, parent, (c) => {
        c.result.chunks.completed += 1;
        c.result.rescored += written;
        c.progress.done += epochs;
      });
      return { written, finished: counters.finished };
    });
    // The last chunk completes the parent: the re-score's requester stops waiting here.
    observeJobWait(ctx.metrics, settled.finished);
    const scored = settled.written;
    ctx.metrics.predictionsWritten.inc({ model_version: model.version }, scored);
    log.debug({ chunkId, scored, attempt: chunk.attempts }, 're-score chunk completed');
    return { state: 'completed', scored };
  } catch (err) {
    if (err instanceof AlreadySettled) return { state: 'skipped', scored: 0 };
    throw err;
  }
}

/** The chunk did not start: already settled, or its parent is no longer active (cancelled, failed). */
async function stopIfParentGone(ctx: AppContext, jobId: string, chunkId: string): Promise<ChunkOutcome> {
  const row = await findChunk(ctx.db, chunkId);
  if (!row || (row.state !== 'queued' && row.state !== 'active')) return { state: 'skipped', scored: 0 };
  await ctx.db.transaction().execute(async (trx) => {
    const parent = await lockJob(trx, jobId);
    if (!parent || parent.state === 'queued' || parent.state === 'active') return;
    if ((await settleChunk(trx, chunkId, 'cancelled')) !== null) await updateParent(trx, parent, (c) => void (c.result.chunks.cancelled += 1));
  });
  return { state: 'cancelled', scored: 0 };
}
