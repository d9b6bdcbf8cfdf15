import { shardFor, type Queues } from '../queues/queues.js';
import { publishSpan } from '../tracing/job-context.js';

/** Queue id of a recording's scoring request: one per generation, so a running scoring never swallows a new request. */
export function nightJobId(recordingId: string, generation: number): string {
  return `night-${recordingId}-${generation}`;
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
