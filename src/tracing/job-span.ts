import { SpanKind, trace, type Span } from '@opentelemetry/api';
import type { Job } from 'bullmq';
import { jobParentContext } from './job-context.js';
import { TRACER_NAME } from './spans.js';

/**
 * The worker side: a `<kind> process` span whose parent is the span that queued the job (the
 * request's publish span for an upload), so one upload is one trace from request to rows. Jobs
 * queued outside a trace (the sweeper's re-enqueue, schedules) start their own. The span ends
 * when `fn` settles; `fn` sets the outcome.
 */
export function inJobSpan<T>(kind: string, queue: string, pgJobId: string, job: Job, fn: (span: Span) => Promise<T>): Promise<T> {
  const attributes = {
    'messaging.system': 'bullmq',
    // The queue's own name (a shard's, `ingest-1`, under QUEUE_SHARDS); the span is named by kind.
    'messaging.destination.name': queue,
    'messaging.operation.type': 'process',
    'messaging.message.id': job.id ?? '',
    'noctis.job_id': pgJobId,
    'noctis.attempt': job.attemptsMade + 1,
  };
  return trace.getTracer(TRACER_NAME).startActiveSpan(`${kind} process`, { kind: SpanKind.CONSUMER, attributes }, jobParentContext(job.data), async (span) => {
    try {
      return await fn(span);
    } finally {
      span.end();
    }
  });
}
