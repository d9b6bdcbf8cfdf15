/** What the standard OTEL_* variables ask of this process. Pure, so it is unit-tested. */
export interface TracingSettings {
  readonly enabled: boolean;
  /** Why tracing is off (or on): logged once at start so an operator sees the decision. */
  readonly reason: string;
}

const TRUE = new Set(['true', '1', 'yes', 'on']);

/**
 * Tracing is off unless an OTLP endpoint is set: an SDK with nowhere to send would still pay for
 * every span. OTEL_SDK_DISABLED wins over an endpoint, as the specification says. Every other
 * variable (service name, sampler, protocol, headers, batch delays) is read by the SDK itself.
 */
export function tracingSettings(env: Readonly<Record<string, string | undefined>>): TracingSettings {
  if (TRUE.has((env['OTEL_SDK_DISABLED'] ?? '').trim().toLowerCase())) return { enabled: false, reason: 'OTEL_SDK_DISABLED is set' };
  if ((env['OTEL_TRACES_EXPORTER'] ?? '').trim().toLowerCase() === 'none') return { enabled: false, reason: 'OTEL_TRACES_EXPORTER is none' };
  const endpoint = (env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ?? '').trim() || (env['OTEL_EXPORTER_OTLP_ENDPOINT'] ?? '').trim();
  if (endpoint === '') return { enabled: false, reason: 'no OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' };
  return { enabled: true, reason: `exporting to ${endpoint}` };
}
