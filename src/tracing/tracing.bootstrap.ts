import { register } from 'node:module';
import { tracingSettings, type TracingSettings } from './tracing.settings.js';

/** The most a graceful stop waits for buffered spans to leave. */
export const FLUSH_LIMIT_MS = 3000;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** What an entry point holds on to: flushes buffered spans on a graceful stop. */
export interface TracingHandle {
  readonly settings: TracingSettings;
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK when the environment asks for it. Entry points call this before
 * they import the application (dynamically): the instrumentations patch http, express, pg and
 * ioredis as those modules load, so anything loaded earlier would go untraced. When tracing is
 * off the SDK is never even imported, so an untraced process pays nothing for it.
 */
export async function startTracing(env: Readonly<Record<string, string | undefined>>): Promise<TracingHandle> {
  const settings = tracingSettings(env);
  if (!settings.enabled) return { settings, shutdown: async () => undefined };
  // ESM imports of a CommonJS package (ioredis, from our code and BullMQ's) bypass require(), which
  // is where the instrumentations patch; this loader hook lets them patch those imports too. It
  // wraps ioredis alone: every wrapped module costs at load time.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include: ['ioredis'] } });
  const { createSdk } = await import('./tracing.sdk.js');
  const sdk = createSdk(env);
  sdk.start();
  let stopping: Promise<void> | null = null;
  return {
    settings,
    // Idempotent: a second signal or an error path may call it again. Bounded: an unreachable
    // collector makes the exporter retry with backoff, and spans are not worth a late exit.
    shutdown: () => (stopping ??= Promise.race([sdk.shutdown().catch(() => undefined), delay(FLUSH_LIMIT_MS)])),
  };
}
