import type { AppContext } from '../app-context.js';
import { yieldToLoop } from '../queues/yield.js';
import {
  ERASE_EPOCH_TABLES,
  deleteEpochBatch,
  deleteJobBatch,
  deleteNightSummaries,
  deleteRecordingRow,
  deleteWebhookEventMentions,
  scrubAuditMentions,
  scrubJobMentions,
  scrubPlanCursors,
  scrubRescoreChunks,
} from './erase.repository.js';

/** Rows deleted (or scrubbed of the id) per table: counts only, never ids. */
export type EraseCounts = Record<string, number>;

const add = (counts: EraseCounts, key: string, n: number) => {
  if (n > 0) counts[key] = (counts[key] ?? 0) + n;
};

/** Repeats one bounded statement until it touches nothing; each runs in its own short transaction. */
async function drain(step: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await step();
    total += n;
    if (n === 0) return total;
    await yieldToLoop();
  }
}

/**
 * Removes every row of one recording, the big tables a batch at a time, then the mentions of its id
 * elsewhere, and last the recording row, whose cascade takes what is left (its night, scoring
 * state, and any row an in-flight job wrote after its table was drained). Safe to run again after a
 * crash at any point: every step deletes what is still there.
 */
export async function eraseRecording(ctx: AppContext, recordingId: string, counts: EraseCounts): Promise<void> {
  const batch = ctx.config.ERASE_BATCH_ROWS;
  for (const table of ERASE_EPOCH_TABLES) add(counts, table, await drain(() => deleteEpochBatch(ctx.db, table, recordingId, batch)));
  add(counts, 'jobs', await drain(() => deleteJobBatch(ctx.db, recordingId, batch)));
  add(counts, 'rescore_chunks', await scrubRescoreChunks(ctx.db, recordingId));
  add(counts, 'rescore_plans', await scrubPlanCursors(ctx.db, recordingId));
  await scrubMentions(ctx, recordingId, counts);
  add(counts, 'night_summaries', await deleteNightSummaries(ctx.db, recordingId));
  add(counts, 'recordings', await deleteRecordingRow(ctx.db, recordingId));
}

/** The id's text in other jobs' JSON and in audit records (re-score filters, error messages). */
export async function scrubMentions(ctx: AppContext, id: string, counts: EraseCounts): Promise<void> {
  const batch = ctx.config.ERASE_BATCH_ROWS;
  add(counts, 'jobs_scrubbed', await drain(() => scrubJobMentions(ctx.db, id, batch)));
  add(counts, 'audit_scrubbed', await drain(() => scrubAuditMentions(ctx.db, id, batch)));
  add(counts, 'webhook_events', await drain(() => deleteWebhookEventMentions(ctx.db, id, batch)));
}
