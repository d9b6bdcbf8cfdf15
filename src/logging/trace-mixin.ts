import { isSpanContextValid, trace } from '@opentelemetry/api';

/**
 * pino mixin: the active span's ids on every line logged inside it, so logs and traces join.
 * Without an SDK there is never an active span, and this costs one context lookup per line.
 */
export function traceMixin(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const context = span.spanContext();
  if (!isSpanContextValid(context)) return {};
  return { trace_id: context.traceId, span_id: context.spanId };
}
