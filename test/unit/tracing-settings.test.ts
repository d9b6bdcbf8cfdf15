import { describe, expect, it } from 'vitest';
import { traceData, jobParentContext } from '../../src/tracing/job-context.js';
import { tracingSettings } from '../../src/tracing/tracing.settings.js';
import { traceMixin } from '../../src/logging/trace-mixin.js';
import { trace, ROOT_CONTEXT } from '@opentelemetry/api';

describe('tracingSettings', () => {
  it('is off without an endpoint', () => {
    expect(tracingSettings({})).toEqual({ enabled: false, reason: 'no OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' });
    expect(tracingSettings({ OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }).enabled).toBe(false);
  });
  it('is on with either endpoint variable, the traces one first', () => {
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toEqual({ enabled: true, reason: 'exporting to http://c:4318' });
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:4318/v1/traces' }).reason).toBe('exporting to http://t:4318/v1/traces');
  });
  it('honours OTEL_SDK_DISABLED and OTEL_TRACES_EXPORTER=none over an endpoint', () => {
    for (const value of ['true', 'TRUE', '1']) expect(tracingSettings({ OTEL_SDK_DISABLED: value, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).enabled).toBe(false);
    expect(tracingSettings({ OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).enabled).toBe(true);
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toEqual({ enabled: false, reason: 'OTEL_TRACES_EXPORTER is none' });
  });
});

describe('without an SDK (tracing off)', () => {
  it('adds nothing to job data and finds no parent in it', () => {
    expect(traceData()).toEqual({});
    expect(jobParentContext({ jobId: 'j' })).toBe(ROOT_CONTEXT);
    expect(jobParentContext(null)).toBe(ROOT_CONTEXT);
    expect(jobParentContext({ trace: { traceparent: 42 } })).toBe(ROOT_CONTEXT);
  });
  it('adds no ids to log lines, even inside a (non-recording) span', () => {
    expect(traceMixin()).toEqual({});
    trace.getTracer('t').startActiveSpan('s', (span) => {
      expect(traceMixin()).toEqual({});
      span.end();
    });
  });
});
