import { createHash } from 'node:crypto';
import { shardFor, type Queues } from '../queues/queues.js';
import { publishSpan } from '../tracing/job-context.js';

/**
 * The recording's name in night job ids: a hash, because BullMQ's events stream keeps job ids long
 * after the job (10,000 events per queue), and an erased recording's id must not outlive it there.
 */
export function nightJobKey(recordingId: string): string {
  return createHash('sha256').update(recordingId).digest('hex').slice(0, 32);
}

/** Queue id of a recording's scoring request: one per generation, so a running scoring never swallows a new request. */
export function nightJobId(recordingId: string, generation: number): string {
  return `night-${nightJobKey(recordingId)}-${generation}`;
}

/** Adds the generation's scoring job; a no-op while that job is still queued. */
export async function enqueueNightScoring(queues: Queues, recordingId: string, generation: number, delayMs: number): Promise<void> {
  // The recording's shard, where its ingest jobs are too. Uploads of one night that share a
  // debounced scoring share its job too: the scoring joins the trace of the upload that queued it first.
  const queue = shardFor(queues, recordingId).night;
  await publishSpan(
    'night',
    { 'noctis.recording_id': recordingId, 'noctis.generation': generation },
    (traced) => queue.add('night', { recordingId, generation, ...traced }, { jobId: nightJobId(recordingId, generation), delay: delayMs }),
    queue.name,
  );
}
