import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecording, INGEST_PATH, type Recording } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';
import { waitUntil } from '../helpers/processes.js';
import { FEATURE_SCHEMA_VERSION } from '../helpers/sleep-data.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';
import { ancestorNames, CONSUMER, expectScoredAndStoredInTrace, PRODUCER, SERVER, startPair, tracingEnv, type ProcessPair } from '../helpers/traced-pair.js';
import { shardIndex, shardQueueName } from '../../src/queues/shards.js';

// The same chain as tracing.test.ts, with the ingest and night-scoring queues sharded: the trace
// context must ride in the job on every shard, and the spans must name the shard's queue.
const SHARDS = 3;
const epochs = Array.from({ length: 40 }, (_, i) => ({ epoch_index: i, features: [0.25 + i, 1.5, -0.75, 2 * (i % 3), 0.125] }));
const traceparent = (traceId: string) => `00-${traceId}-${randomBytes(8).toString('hex')}-01`;

describe(`tracing on with QUEUE_SHARDS=${SHARDS}: each upload is one trace on its recording's shard`, () => {
  let env: TestEnv;
  let receiver: OtlpReceiver;
  let pair: ProcessPair;
  const made: Recording[] = [];

  /** A new recording on `shard` (recording ids are random; the shard is CRC-32 of the id). */
  async function recordingOn(shard: number): Promise<Recording> {
    const found = made.findIndex((r) => shardIndex(r.id, SHARDS) === shard);
    if (found >= 0) return made.splice(found, 1)[0]!;
    for (let i = 0; i < 60; i++) {
      const rec = await createRecording(pair.apiUrl);
      if (shardIndex(rec.id, SHARDS) === shard) return rec;
      made.push(rec);
    }
    throw new Error(`no recording on shard ${shard} in 60 tries`);
  }

  beforeAll(async () => {
    env = await createTestEnv();
    receiver = await startOtlpReceiver();
    pair = await startPair(env, (role) => ({
      ...tracingEnv(receiver, role),
      QUEUE_SHARDS: String(SHARDS),
      ...(role === 'worker' ? { NIGHT_SCORING_DEBOUNCE_MS: '50' } : {}),
    }));
  });
  afterAll(async () => {
    await Promise.all([pair?.web.kill('SIGKILL'), pair?.worker.kill('SIGKILL')]);
    await receiver?.close();
    await env?.dispose();
  });

  it('links the HTTP span, the accept, the publish to the shard, the processing on the shard, scoring and pg writes, on every shard', async () => {
    // One recording per shard: shard 0 (the unsharded names) and two hash-tagged ones.
    const recs = await Promise.all(Array.from({ length: SHARDS }, (_, shard) => recordingOn(shard)));
    const shards = recs.map((r) => shardIndex(r.id, SHARDS));
    expect(new Set(shards).size).toBeGreaterThanOrEqual(2);
    expect(shards.some((s) => s !== 0)).toBe(true);

    const uploads = await Promise.all(
      recs.map(async (rec) => {
        const traceId = randomBytes(16).toString('hex');
        const clientSpan = randomBytes(8).toString('hex');
        const res = await request(pair.apiUrl, 'POST', INGEST_PATH, { recording_id: rec.id, feature_schema_version: FEATURE_SCHEMA_VERSION, epochs }, { traceparent: `00-${traceId}-${clientSpan}-01` });
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        const jobId: string = res.body.job_id;
        expect((await waitForJob(pair.apiUrl, jobId, 60_000)).state).toBe('completed');
        return { rec, shard: shardIndex(rec.id, SHARDS), traceId, clientSpan, jobId };
      }),
    );

    const inTrace = (traceId: string) => receiver.spans.filter((s) => s.traceId === traceId);
    const complete = (traceId: string) => {
      const spans = inTrace(traceId);
      return spans.some((s) => s.name === 'ingest process') && spans.some((s) => s.service === 'noctis-worker' && s.scope.includes('pg') && s.attributes['db.query.text'] !== undefined && /INSERT/i.test(String(s.attributes['db.query.text'])));
    };
    await waitUntil('the worker spans of every upload', () => uploads.every((u) => complete(u.traceId)), 20_000, 100);

    for (const u of uploads) {
      const queue = shardQueueName('ingest', u.shard);
      const spans = inTrace(u.traceId);
      const named = (name: string) => spans.filter((s) => s.name === name);
      const one = (name: string): ReceivedSpan => {
        const found = named(name);
        expect(found, `${name} spans of the upload on shard ${u.shard}`).toHaveLength(1);
        return found[0]!;
      };
      const ancestors = (s: ReceivedSpan) => ancestorNames(spans, s);
      const context = `shard ${u.shard} (${queue})`;

      const http = spans.find((s) => s.kind === SERVER && s.service === 'noctis-api');
      expect(http, `HTTP server span, ${context}`).toBeDefined();
      expect(http!.parentSpanId).toBe(u.clientSpan);
      const accept = one('ingest accept');
      expect(accept.attributes).toMatchObject({ 'noctis.job_id': u.jobId, 'noctis.recording_id': u.rec.id, 'noctis.epochs': epochs.length });
      expect(ancestors(accept)).toContain(http!.name);
      expect(spans.some((s) => s.service === 'noctis-api' && s.scope.includes('pg') && s.parentSpanId === accept.spanId)).toBe(true);

      // The producer span names the queue the job went to: the recording's shard.
      const publish = one('ingest publish');
      expect(publish.kind).toBe(PRODUCER);
      expect(publish.parentSpanId).toBe(accept.spanId);
      expect(publish.attributes, context).toMatchObject({ 'messaging.system': 'bullmq', 'messaging.destination.name': queue, 'noctis.job_id': u.jobId });
      expect(spans.some((s) => s.scope.includes('ioredis') && s.parentSpanId === publish.spanId && s.attributes['db.query.text'] === 'evalsha')).toBe(true);

      // The worker consumed it from that shard's queue, as the child of the publish span.
      const processing = one('ingest process');
      expect(processing.service).toBe('noctis-worker');
      expect(processing.kind).toBe(CONSUMER);
      expect(processing.parentSpanId, context).toBe(publish.spanId);
      expect(processing.attributes, context).toMatchObject({ 'noctis.job_id': u.jobId, 'noctis.job.outcome': 'completed', 'messaging.destination.name': queue, 'messaging.message.id': u.jobId });

      expectScoredAndStoredInTrace(spans, epochs.length, 'wnr-v3');
    }

    // No trace leaks into another: each upload's consumer span sits in its own trace only.
    const ids = new Set(uploads.map((u) => u.jobId));
    for (const s of receiver.spans.filter((s) => s.name === 'ingest process' && ids.has(String(s.attributes['noctis.job_id'])))) {
      expect(uploads.find((u) => u.jobId === s.attributes['noctis.job_id'])!.traceId).toBe(s.traceId);
    }
  });

  it('carries the trace on into the night scoring a later upload queues on a shard other than 0', async () => {
    const nonZero = Array.from({ length: SHARDS - 1 }, (_, i) => i + 1);
    const recs = await Promise.all(nonZero.map((shard) => recordingOn(shard)));

    const nights = await Promise.all(
      recs.map(async (rec) => {
        const first = await request(pair.apiUrl, 'POST', INGEST_PATH, { recording_id: rec.id, feature_schema_version: FEATURE_SCHEMA_VERSION, epochs });
        expect(first.status, JSON.stringify(first.body)).toBe(202);
        expect((await waitForJob(pair.apiUrl, first.body.job_id, 60_000)).state).toBe('completed');
        // The second part of the night is stored, then scored with the whole night by a night job.
        const traceId = randomBytes(16).toString('hex');
        const more = epochs.map((e) => ({ ...e, epoch_index: e.epoch_index + epochs.length }));
        const res = await request(pair.apiUrl, 'POST', INGEST_PATH, { recording_id: rec.id, feature_schema_version: FEATURE_SCHEMA_VERSION, epochs: more }, { traceparent: traceparent(traceId) });
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        expect((await waitForJob(pair.apiUrl, res.body.job_id, 60_000)).state).toBe('completed');
        return { rec, shard: shardIndex(rec.id, SHARDS), traceId, jobId: res.body.job_id as string };
      }),
    );

    const inTrace = (traceId: string) => receiver.spans.filter((s) => s.traceId === traceId);
    const nightDone = (traceId: string) => inTrace(traceId).find((s) => s.name === 'night process' && s.attributes['noctis.job.outcome'] === 'completed');
    await waitUntil('the night scoring spans', () => nights.every((n) => nightDone(n.traceId) !== undefined && inTrace(n.traceId).some((s) => s.name === 'score' && s.parentSpanId === nightDone(n.traceId)!.spanId)), 20_000, 100);

    for (const n of nights) {
      expect(n.shard).not.toBe(0);
      const context = `shard ${n.shard}`;
      const spans = inTrace(n.traceId);
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      const ingest = spans.find((s) => s.name === 'ingest process' && s.attributes['noctis.job_id'] === n.jobId)!;
      expect(ingest, context).toBeDefined();
      expect(ingest.attributes['messaging.destination.name']).toBe(shardQueueName('ingest', n.shard));

      const night = nightDone(n.traceId)!;
      expect(night.kind).toBe(CONSUMER);
      // The night job was queued on, and consumed from, the recording's shard.
      expect(night.attributes, context).toMatchObject({ 'messaging.destination.name': shardQueueName('night', n.shard) });
      const publish = byId.get(night.parentSpanId)!;
      expect(publish, context).toBeDefined();
      expect(publish.name).toBe('night publish');
      expect(publish.kind).toBe(PRODUCER);
      expect(publish.attributes, context).toMatchObject({ 'noctis.recording_id': n.rec.id, 'messaging.destination.name': shardQueueName('night', n.shard) });
      expect(publish.parentSpanId).toBe(ingest.spanId);
      // The whole night is scored under the night job's span.
      expect(spans.some((s) => s.name === 'score' && s.parentSpanId === night.spanId && s.attributes['noctis.epochs'] === 2 * epochs.length)).toBe(true);
      expect(spans.some((s) => s.service === 'noctis-worker' && s.scope.includes('pg') && ancestorNames(spans, s).includes('night process'))).toBe(true);
    }
  });
});
