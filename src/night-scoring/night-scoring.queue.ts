import { shardFor, type Queues } from '../queues/queues.js';

/** Queue id of a recording's scoring request: one per generation, so a running scoring never swallows a new request. */
export function nightJobId(recordingId: string, generation: number): string {
  return `night-${recordingId}-${generation}`;
}

/** Adds the generation's scoring job; a no-op while that job is still queued. */
export async function enqueueNightScoring(queues: Queues, recordingId: string, generation: number, delayMs: number): Promise<void> {
  // The recording's shard, where its ingest jobs are too.
  await shardFor(queues, recordingId).night.add('night', { recordingId, generation }, { jobId: nightJobId(recordingId, generation), delay: delayMs });
}
