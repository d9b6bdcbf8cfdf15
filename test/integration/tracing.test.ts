import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecording, INGEST_PATH } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { spanTree, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';
import { freePort, waitUntil } from '../helpers/processes.js';
import { FEATURE_SCHEMA_VERSION } from '../helpers/sleep-data.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';
import { CONSUMER, expectScoredAndStoredInTrace, PRODUCER, SERVER, startPair, tracingEnv } from '../helpers/traced-pair.js';
import { FLUSH_LIMIT_MS } from '../../src/tracing/tracing.bootstrap.js';

// Distinctive feature values: none of their digits may turn up in any exported attribute.
const MARK = '918273';
const epochs = Array.from({ length: 40 }, (_, i) => ({ epoch_index: i, features: [0.918273 + i, 1.918273, -0.918273, 2.918273 * (i % 3), 0.5918273] }));

const logLines = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('tracing on: one upload is one trace from the request to the worker rows', () => {
  let env: TestEnv;
  let receiver: OtlpReceiver;
  let pair: Awaited<ReturnType<typeof startPair>>;
  let workerMetrics: string;

  beforeAll(async () => {
    env = await createTestEnv();
    receiver = await startOtlpReceiver();
    const metricsPort = await freePort();
    workerMetrics = `http://127.0.0.1:${metricsPort}`;
    pair = await startPair(env, (role) => ({
      ...tracingEnv(receiver, role),
      // The worker exposes OpenMetrics with exemplars (opt-in) on its probe port.
      ...(role === 'worker' ? { METRICS_PORT: String(metricsPort), METRICS_EXEMPLARS: 'true', NIGHT_SCORING_DEBOUNCE_MS: '50' } : {}),
    }));
  });
  afterAll(async () => {
    await Promise.all([pair?.web.kill('SIGKILL'), pair?.worker.kill('SIGKILL')]);
    await receiver?.close();
    await env.dispose();
  });

  it('links the HTTP span, the durable accept, the enqueue, the processing span, scoring and pg writes', async () => {
    const rec = await createRecording(pair.apiUrl);
    // The client's own span: with the default parent-based sampler its sampled flag is honoured.
    const traceId = randomBytes(16).toString('hex');
    const clientSpan = randomBytes(8).toString('hex');
    const res = await request(pair.apiUrl, 'POST', INGEST_PATH, { recording_id: rec.id, feature_schema_version: FEATURE_SCHEMA_VERSION, epochs }, { traceparent: `00-${traceId}-${clientSpan}-01` });
    expect(res.status).toBe(202);
    const jobId: string = res.body.job_id;
    expect((await waitForJob(pair.apiUrl, jobId, 60_000)).state).toBe('completed');

    const inTrace = () => receiver.spans.filter((s) => s.traceId === traceId);
    const named = (name: string) => inTrace().find((s) => s.name === name);
    await waitUntil('the worker spans to arrive', () => named('ingest process') !== undefined && inTrace().some((s) => s.service === 'noctis-worker' && s.scope.includes('pg')), 20_000, 100);
    const spans = inTrace();
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const ancestors = (s: ReceivedSpan): string[] => {
      const out: string[] = [];
      for (let p = byId.get(s.parentSpanId); p; p = byId.get(p.parentSpanId)) out.push(p.name);
      return out;
    };

    // PRINT_TRACE=1 shows the tree (the README's example was taken from it).
    if (process.env['PRINT_TRACE']) console.log(spanTree(spans));
    const http = spans.find((s) => s.kind === SERVER && s.service === 'noctis-api');
    expect(http, 'HTTP server span').toBeDefined();
    expect(http!.parentSpanId).toBe(clientSpan);
    const accept = named('ingest accept')!;
    expect(accept.attributes).toMatchObject({ 'noctis.job_id': jobId, 'noctis.recording_id': rec.id, 'noctis.epochs': epochs.length });
    expect(ancestors(accept)).toContain(http!.name);
    // The durable accept's insert runs inside it.
    expect(spans.some((s) => s.service === 'noctis-api' && s.scope.includes('pg') && s.parentSpanId === accept.spanId)).toBe(true);
    const publish = named('ingest publish')!;
    expect(publish.kind).toBe(PRODUCER);
    expect(publish.parentSpanId).toBe(accept.spanId);
    // BullMQ's add, through the instrumented ioredis (command names only).
    expect(spans.some((s) => s.scope.includes('ioredis') && s.parentSpanId === publish.spanId && s.attributes['db.query.text'] === 'evalsha')).toBe(true);
    const processing = named('ingest process')!;
    expect(processing.service).toBe('noctis-worker');
    expect(processing.kind).toBe(CONSUMER);
    expect(processing.parentSpanId).toBe(publish.spanId);
    expect(processing.attributes).toMatchObject({ 'noctis.job_id': jobId, 'noctis.job.outcome': 'completed', 'messaging.destination.name': 'ingest' });
    expectScoredAndStoredInTrace(spans, epochs.length, 'wnr-v3');

    // What is left out: probes and scrapes, Express middleware and routers, and database or Redis
    // calls outside a trace (a worker's polling, the sweeper).
    for (const s of receiver.spans) {
      expect(['/healthz', '/readyz', '/metrics']).not.toContain(s.attributes['url.path']);
      expect(['middleware', 'router']).not.toContain(s.attributes['express.type']);
      if (s.scope.includes('pg') || s.scope.includes('ioredis')) expect(s.parentSpanId, s.name).not.toBe('');
    }

    // Ids and counts only: no feature value, label or stage in any attribute of any span.
    const labels = ['"W"', '"NREM"', '"REM"'];
    for (const s of receiver.spans) {
      for (const [key, v] of Object.entries(s.attributes)) {
        expect(key).not.toMatch(/feature|label|stage|probabilit/i);
        expect(String(v), `${s.name} ${key}`).not.toContain(MARK);
        for (const label of labels) expect(JSON.stringify(v)).not.toBe(label);
      }
    }

    // Log lines written inside a span carry its ids.
    const done = logLines(pair.worker.output()).find((l) => l['msg'] === 'job completed' && l['jobId'] === jobId);
    expect(done).toMatchObject({ trace_id: traceId, span_id: processing.spanId });

    // The wait histogram's exemplar names this trace (OpenMetrics, opt-in via METRICS_EXEMPLARS).
    const metrics = await request(workerMetrics, 'GET', '/metrics');
    expect(metrics.headers.get('content-type')).toContain('application/openmetrics-text');
    expect(metrics.body).toMatch(new RegExp(`^noctis_job_wait_seconds_bucket\\{[^}]*type="ingest"[^}]*\\} 1 # \\{trace_id="${traceId}"\\}`, 'm'));
  });

  it('carries the trace on into the night scoring a later upload queues', async () => {
    const rec = await createRecording(pair.apiUrl);
    const first = await request(pair.apiUrl, 'POST', INGEST_PATH, { recording_id: rec.id, feature_schema_version: FEATURE_SCHEMA_VERSION, epochs });
    expect((await waitForJob(pair.apiUrl, first.body.job_id, 60_000)).state).toBe('completed');
    // The second part of the night is stored, then scored with the whole night by a night job.
    const traceId = randomBytes(16).toString('hex');
    const more = epochs.map((e) => ({ ...e, epoch_index: e.epoch_index + epochs.length }));
    const res = await request(pair.apiUrl, 'POST', INGEST_PATH, { recording_id: rec.id, feature_schema_version: FEATURE_SCHEMA_VERSION, epochs: more }, { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` });
    expect((await waitForJob(pair.apiUrl, res.body.job_id, 60_000)).state).toBe('completed');
    const inTrace = () => receiver.spans.filter((s) => s.traceId === traceId);
    await waitUntil('the night scoring span', () => inTrace().some((s) => s.name === 'night process' && s.attributes['noctis.job.outcome'] === 'completed'), 20_000, 100);
    const spans = inTrace();
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const ingest = spans.find((s) => s.name === 'ingest process')!;
    const night = spans.find((s) => s.name === 'night process' && s.attributes['noctis.job.outcome'] === 'completed')!;
    const publish = byId.get(night.parentSpanId)!;
    expect(publish.name).toBe('night publish');
    expect(publish.attributes).toMatchObject({ 'noctis.recording_id': rec.id });
    expect(publish.parentSpanId).toBe(ingest.spanId);
    // The whole night is scored under the night job's span.
    expect(spans.some((s) => s.name === 'score' && s.parentSpanId === night.spanId && s.attributes['noctis.epochs'] === 2 * epochs.length)).toBe(true);
  });

  it('makes one trace of a re-score: request, planner, chunks', async () => {
    const rec = await createRecording(pair.apiUrl);
    const up = await request(pair.apiUrl, 'POST', INGEST_PATH, { recording_id: rec.id, feature_schema_version: FEATURE_SCHEMA_VERSION, epochs });
    expect((await waitForJob(pair.apiUrl, up.body.job_id, 60_000)).state).toBe('completed');
    const traceId = randomBytes(16).toString('hex');
    const res = await request(pair.apiUrl, 'POST', '/v1/rescore', { recording_ids: [rec.id] }, { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect((await waitForJob(pair.apiUrl, res.body.job_id, 60_000)).state).toBe('completed');
    const inTrace = () => receiver.spans.filter((s) => s.traceId === traceId);
    const chunks = () => inTrace().filter((s) => s.name === 'rescore process' && s.attributes['messaging.message.id'] !== res.body.job_id);
    await waitUntil('the chunk spans', () => chunks().some((s) => s.attributes['noctis.job.outcome'] === 'completed'), 20_000, 100);
    const spans = inTrace();
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const planner = spans.find((s) => s.name === 'rescore process' && s.attributes['messaging.message.id'] === res.body.job_id)!;
    expect(byId.get(planner.parentSpanId)?.name).toBe('rescore publish');
    for (const chunk of chunks()) {
      expect(chunk.attributes['noctis.job_id']).toBe(res.body.job_id);
      const publish = byId.get(chunk.parentSpanId)!;
      expect(publish.name).toBe('rescore publish');
      expect(publish.parentSpanId).toBe(planner.spanId);
    }
  });

  it('records no trace for a request whose caller did not sample it (parent-based sampling)', async () => {
    const traceId = randomBytes(16).toString('hex');
    const res = await request(pair.apiUrl, 'GET', '/v1/models', undefined, { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-00` });
    expect(res.status).toBe(200);
    const marker = randomBytes(16).toString('hex');
    await request(pair.apiUrl, 'GET', '/v1/models', undefined, { traceparent: `00-${marker}-${randomBytes(8).toString('hex')}-01` });
    await waitUntil('the sampled request to arrive', () => receiver.spans.some((s) => s.traceId === marker), 10_000, 100);
    expect(receiver.spans.filter((s) => s.traceId === traceId)).toEqual([]);
  });

  it('starts a trace of its own for a malformed traceparent', async () => {
    const before = new Set(receiver.spans.map((s) => s.traceId));
    const res = await request(pair.apiUrl, 'GET', '/v1/models', undefined, { traceparent: '00-not-a-trace-01' });
    expect(res.status).toBe(200);
    await waitUntil('its span', () => receiver.spans.some((s) => !before.has(s.traceId) && s.kind === SERVER && s.attributes['url.path'] === '/v1/models'), 10_000, 100);
    const span = receiver.spans.find((s) => !before.has(s.traceId) && s.kind === SERVER && s.attributes['url.path'] === '/v1/models')!;
    expect(span.parentSpanId).toBe('');
  });

  it('flushes and exits 0 on SIGTERM, having sent traces only (no OTLP metrics or logs)', async () => {
    expect(await pair.web.kill('SIGTERM')).toBe(0);
    expect(await pair.worker.kill('SIGTERM')).toBe(0);
    expect(receiver.paths.length).toBeGreaterThan(0);
    expect(new Set(receiver.paths)).toEqual(new Set(['/v1/traces']));
  });
});

describe('tracing off', () => {
  let env: TestEnv;
  let receiver: OtlpReceiver;
  let pair: Awaited<ReturnType<typeof startPair>>;

  beforeAll(async () => {
    env = await createTestEnv();
    receiver = await startOtlpReceiver();
    // The API has an endpoint but OTEL_SDK_DISABLED; the worker has no OTEL_* variable at all.
    pair = await startPair(env, (role): Record<string, string> => (role === 'api' ? { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SDK_DISABLED: 'true', OTEL_BSP_SCHEDULE_DELAY: '100' } : {}));
  });
  afterAll(async () => {
    await Promise.all([pair?.web.kill('SIGKILL'), pair?.worker.kill('SIGKILL')]);
    await receiver?.close();
    await env.dispose();
  });

  it('sends nothing, starts no SDK, and logs without trace ids', async () => {
    const rec = await createRecording(pair.apiUrl);
    const res = await request(pair.apiUrl, 'POST', INGEST_PATH, { recording_id: rec.id, feature_schema_version: FEATURE_SCHEMA_VERSION, epochs }, { traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` });
    expect(res.status).toBe(202);
    expect((await waitForJob(pair.apiUrl, res.body.job_id, 60_000)).state).toBe('completed');
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.requests).toBe(0);
    const api = logLines(pair.web.output());
    const worker = logLines(pair.worker.output());
    expect(api.find((l) => l['tracing'] !== undefined)).toMatchObject({ tracing: false, msg: 'tracing off: OTEL_SDK_DISABLED is set' });
    expect(worker.find((l) => l['tracing'] !== undefined)).toMatchObject({ tracing: false });
    expect(worker.some((l) => l['msg'] === 'job completed')).toBe(true);
    for (const line of [...api, ...worker]) expect(line).not.toHaveProperty('trace_id');
  });
});

describe('tracing on with the collector unreachable', () => {
  let env: TestEnv;
  let pair: Awaited<ReturnType<typeof startPair>>;

  beforeAll(async () => {
    env = await createTestEnv();
    // Nothing listens there: every export is refused.
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    pair = await startPair(env, (role) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: `noctis-${role}`, OTEL_BSP_SCHEDULE_DELAY: '100' }));
  });
  afterAll(async () => {
    await Promise.all([pair?.web.kill('SIGKILL'), pair?.worker.kill('SIGKILL')]);
    await env.dispose();
  });

  it('still accepts and completes uploads, logs with trace ids, and stops cleanly', async () => {
    const rec = await createRecording(pair.apiUrl);
    const res = await request(pair.apiUrl, 'POST', INGEST_PATH, { recording_id: rec.id, feature_schema_version: FEATURE_SCHEMA_VERSION, epochs });
    expect(res.status).toBe(202);
    expect((await waitForJob(pair.apiUrl, res.body.job_id, 60_000)).state).toBe('completed');
    const done = logLines(pair.worker.output()).find((l) => l['msg'] === 'job completed' && l['jobId'] === res.body.job_id);
    expect(done?.['trace_id']).toMatch(/^[0-9a-f]{32}$/);
    await new Promise((r) => setTimeout(r, 300)); // a failed export or two
    // The exporter retries a refused export with backoff; the flush on SIGTERM gives up after
    // FLUSH_LIMIT_MS and the exit is still 0.
    const t0 = Date.now();
    expect(await Promise.all([pair.web.kill('SIGTERM'), pair.worker.kill('SIGTERM')])).toEqual([0, 0]);
    expect(Date.now() - t0).toBeLessThan(FLUSH_LIMIT_MS + 3000);
  });
});
