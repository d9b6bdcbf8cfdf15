import { randomUUID } from 'node:crypto';
import type { AppContext } from '../app-context.js';
import type { RecordingRow } from '../db/database.js';
import type { DecodedEpochs } from '../epochs/features.decoder.js';
import { newJobRow } from '../jobs/jobs.repository.js';
import { jobStatusUrl } from '../jobs/jobs.service.js';
import { enqueue } from '../queues/queues.js';
import { inSpan } from '../tracing/spans.js';
import type { z } from 'zod';
import type { IngestAccepted } from './ingest.schemas.js';
import { enqueueOrLeaveToSweeper } from '../jobs/enqueue-or-sweep.js';
import { PG_FOREIGN_KEY_VIOLATION, pgCode } from '../db/pg-errors.js';
import { recordingNotFound } from '../recordings/recordings.service.js';

export type Accepted = z.infer<typeof IngestAccepted>;

/** Packs float32 rows into the little-endian bytes stored in ingest_payloads. */
export function toBytes(features: Float32Array): Buffer {
  const bytes = Buffer.allocUnsafe(features.length * 4);
  for (let i = 0; i < features.length; i++) bytes.writeFloatLE(features[i]!, i * 4);
  return bytes;
}

/**
 * Lands the accepted epochs in PostgreSQL before answering 202: the job row and its payload commit
 * together, so a 202 survives a lost Redis (the sweeper re-enqueues) and a killed worker (retry).
 */
export async function acceptIngest(ctx: AppContext, recording: RecordingRow, decoded: DecodedEpochs, nFeatures: number): Promise<Accepted> {
  const jobId = randomUUID();
  // The durable accept as a span of its own: its insert and the enqueue (publish) are its children.
  return inSpan('ingest accept', { 'noctis.recording_id': recording.id, 'noctis.job_id': jobId, 'noctis.epochs': decoded.count }, () => acceptNow(ctx, jobId, recording, decoded, nFeatures));
}

async function acceptNow(ctx: AppContext, jobId: string, recording: RecordingRow, decoded: DecodedEpochs, nFeatures: number): Promise<Accepted> {
  // One statement (a data-modifying CTE) is atomic on its own: one round trip instead of four on
  // the request path that clients wait on.
  const job = newJobRow({
    id: jobId,
    type: 'ingest',
    recordingId: recording.id,
    tenant: recording.tenant,
    params: { accepted: decoded.count },
    progress: { done: 0, total: decoded.count },
  });
  await ctx.db
    .with('job', (db) => db.insertInto('jobs').values(job).returning('id'))
    .insertInto('ingest_payloads')
    .values({
      job_id: jobId,
      recording_id: recording.id,
      epoch_indices: Array.from(decoded.indices),
      features: toBytes(decoded.features),
      n_features: nFeatures,
    })
    .execute()
    .catch((err: unknown) => {
      // Deleted (an erase's last step) after the route found it: the statement stored nothing.
      if (pgCode(err) === PG_FOREIGN_KEY_VIOLATION) throw recordingNotFound(recording.id);
      throw err;
    });
  // The epochs are durable already; without Redis the sweeper enqueues this job once it is back.
  await enqueueOrLeaveToSweeper(ctx.logger, jobId, () => enqueue(ctx.queues, 'ingest', jobId, recording.id));
  return { job_id: jobId, status_url: jobStatusUrl(jobId), accepted: decoded.count };
}
