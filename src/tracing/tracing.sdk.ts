import type { IncomingMessage } from 'node:http';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';

// Scrapes and probes arrive every few seconds; a trace each would drown the uploads.
const UNTRACED_PATHS = new Set(['/metrics', '/healthz', '/readyz']);

/**
 * The SDK with the four instrumentations Noctis needs and nothing else (no auto-instrumentation
 * bundle: every patched module costs at load time). Exporter, protocol, sampler, propagators,
 * resource and batching all come from the standard OTEL_* variables, read by the SDK.
 */
export function createSdk(env: Readonly<Record<string, string | undefined>>): NodeSDK {
  return new NodeSDK({
    // OTEL_SERVICE_NAME, when set, overrides this default.
    serviceName: env['OTEL_SERVICE_NAME'] ?? 'noctis',
    // Traces only. Left to the environment, the SDK would also start OTLP metrics and logs exporters
    // (its default), and the instrumentations would record a histogram per request and per query:
    // metrics are prom-client's job here, logs go to stdout.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req: IncomingMessage) => UNTRACED_PATHS.has((req.url ?? '').split('?')[0] ?? ''),
      }),
      // Only the route handler: middleware (auth, JSON parsing) and every router the request passes
      // through would add a span each per request.
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER] }),
      // Only inside a trace: a worker's idle polling and the sweeper's ticks are not worth a trace.
      // Statements are recorded without their parameter values (the default), so feature bytes never leave.
      new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
      // The command name only: BullMQ's script arguments carry keys and job data, not worth exporting.
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
    ],
  });
}
