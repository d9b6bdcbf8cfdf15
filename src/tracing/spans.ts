import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

/** Tracer name of Noctis's own spans; @opentelemetry/api returns a no-op tracer when no SDK runs. */
export const TRACER_NAME = 'noctis';

/**
 * Runs `fn` inside a span that is ended however `fn` ends. Attributes are ids and counts only:
 * never features, labels or stages. A failure marks the span with the error's class name, not its
 * message (which may quote a database error's detail).
 */
export async function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>, kind: SpanKind = SpanKind.INTERNAL): Promise<T> {
  return trace.getTracer(TRACER_NAME).startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      markFailed(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The synchronous form, for CPU work such as scoring. */
export function inSpanSync<T>(name: string, attributes: Attributes, fn: (span: Span) => T): T {
  return trace.getTracer(TRACER_NAME).startActiveSpan(name, { attributes }, (span) => {
    try {
      return fn(span);
    } catch (err) {
      markFailed(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

export function markFailed(span: Span, err: unknown): void {
  const name = err instanceof Error ? err.constructor.name : typeof err;
  span.setStatus({ code: SpanStatusCode.ERROR, message: name });
  span.setAttribute('error.type', name);
}
