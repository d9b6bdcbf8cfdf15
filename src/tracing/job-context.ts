import { ROOT_CONTEXT, context, propagation, SpanKind, type Context } from '@opentelemetry/api';
import { inSpan } from './spans.js';

/** W3C trace context as it rides in a job's data (BullMQ stores data as JSON in Redis). */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

/** Job data may carry the context of the span that queued it; absent when tracing is off. */
export interface Traced {
  trace?: TraceCarrier;
}

/**
 * The current context as job data: `{ trace }` while a sampled or unsampled span is active,
 * `{}` otherwise (tracing off, or no span), so untraced processes queue exactly what they did.
 */
export function traceData(): Traced {
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent === undefined ? {} : { trace: carrier };
}

/** The context a job was queued in, or the root context for jobs queued outside any trace. */
export function jobParentContext(data: unknown): Context {
  const carrier = typeof data === 'object' && data !== null && 'trace' in data ? (data as Traced).trace : undefined;
  if (!carrier || typeof carrier.traceparent !== 'string') return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/**
 * The producer side: a `<kind> publish` span around the add, whose context the job carries, so
 * the worker's processing span becomes its child. `add` receives the data to merge into the job.
 * `queue` is the name of the queue the job goes to (a shard's, `ingest-1`, under QUEUE_SHARDS), as
 * on the consumer's span; it defaults to `kind`, the name of an unsharded queue.
 */
export function publishSpan<T>(kind: string, attributes: Record<string, string | number>, add: (traced: Traced) => Promise<T>, queue: string = kind): Promise<T> {
  return inSpan(`${kind} publish`, { 'messaging.system': 'bullmq', 'messaging.destination.name': queue, ...attributes }, () => add(traceData()), SpanKind.PRODUCER);
}
